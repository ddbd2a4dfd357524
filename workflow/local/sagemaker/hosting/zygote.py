"""Endpoint workers forked from a process that has imported the serving libraries already.

A fresh interpreter spends about two seconds importing torch and torchvision
before it can even start loading a model, which would make every new instance
(an endpoint, an update, a scale-out, a crash replacement) that much slower
than the model load itself. multiprocessing's forkserver keeps one
single-threaded process that has imported them and forks each worker from it:
the server itself runs threads and must not fork. Each worker is still a
process of its own, with its own session, environment, working directory and
log, as an instance is on AWS.

The fork server starts on the first call of ``warm_up`` (the server calls it
when a training job or a model appears, so it is ready by the time an endpoint
needs it) or else on the first worker.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: What a PyTorch serving container has imported before the user's program runs (its
#: handler service brings the inference toolkit); the fork server skips any that is not installed.
PRELOAD = ["torch", "torchvision", "torchvision.transforms", "PIL.Image", "numpy",
           "sagemaker_pytorch_serving_container.handler_service"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(PRELOAD)


def warm_up() -> None:
    """Start the fork server unless it runs: milliseconds; its imports go on in the background."""
    multiprocessing.forkserver.ensure_running()


class WorkerProcess:
    """One forked worker: the subprocess.Popen subset the hosting code uses.

    ``stdin`` stands for the worker's lifeline: closing it (or the server dying)
    ends the worker, as closing a subprocess's stdin did.
    """

    def __init__(self, process: Any, lifeline: multiprocessing.connection.Connection) -> None:
        self._process = process
        self.pid: int = process.pid
        self.stdin = lifeline

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode if not self._process.is_alive() else None

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.is_alive():
            raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
        return self._process.exitcode


def start_worker(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> tuple[WorkerProcess, Any]:
    """Fork ``workflow.local.sagemaker.hosting.serve`` with ``argv`` (without ``--status-fd``).

    Returns the process and the read end of its status pipe as a text file.
    """
    status_r, status_w = _context.Pipe(duplex=False)
    lifeline_r, lifeline_w = _context.Pipe(duplex=False)
    process = _context.Process(target=_serve, args=(argv, env, str(cwd), str(log), status_w, lifeline_r),
                               name=f"endpoint-worker {log.stem}")
    try:
        process.start()
    finally:
        status_w.close()
        lifeline_r.close()
    return WorkerProcess(process, lifeline_w), os.fdopen(_take_fd(status_r), "r")


def _take_fd(conn: multiprocessing.connection.Connection) -> int:
    """The pipe end under a Connection, as a plain descriptor (the lines on it are text)."""
    fd = os.dup(conn.fileno())
    conn.close()
    return fd


def _serve(argv: list[str], env: dict[str, str], cwd: str, log: str,
           status: multiprocessing.connection.Connection,
           lifeline: multiprocessing.connection.Connection) -> None:
    # Its own session: a Ctrl-C meant for the server does not reach the worker.
    os.setsid()
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    life = _take_fd(lifeline)
    os.dup2(life, 0)
    os.close(life)
    sys.stdin = open(0, closefd=False)  # fd 0 lives as long as the process
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    # Imported in the forked worker only, under the instance's variables: serve imports the
    # SageMaker PyTorch serving container (seconds with torch, -X importtime), which the
    # server's own process, importing this module, must not pay.
    from workflow.local.sagemaker.hosting import serve

    sys.exit(serve.main([*argv, "--status-fd", str(_take_fd(status))]))
