"""Execution environments forked from a process that has imported the usual libraries once.

A Python function's init phase is mostly imports: boto3 alone takes a tenth
of a second, Powertools with pydantic and the X-Ray SDK two tenths more.
Every environment importing them again in a fresh interpreter costs a third
of a second of CPU, at the moment a deployment creates its functions and the
first invoke is waiting. The zygote is one single-threaded process that
imports ``PRELOAD`` (the libraries AWS's Python runtime ships, and those
functions commonly bundle) and forks an environment per request: the
environment then imports only the function's own modules. Each environment
is still a process of its own, in its own session, with the function's
environment variables, working directory and log, running ``runtime.py``.

Two things differ from a fresh interpreter, as they do in any pre-forked
runtime: the preloaded modules were imported under the runtime's environment,
not the function's (a variable one of them reads at import time comes from the
runtime), and a function whose package bundles one of them gets a fresh
interpreter instead (``bundles_preload``), so it runs the version it ships.

The Lambda service starts the zygote with the server, so its imports are over
by the time a deployment creates functions. multiprocessing's forkserver does
the same for endpoint workers (``sagemaker/hosting/zygote.py``), but there is
one per process, preloading torch; this one passes an environment's pipes
with ``socket.send_fds``.

    python -m workflow.local.lambda_.zygote FD   (FD: its end of a SOCK_SEQPACKET pair)
"""
from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

PRELOAD = ("boto3", "pydantic", "aws_lambda_powertools", "aws_lambda_powertools.logging",
           "aws_lambda_powertools.metrics", "aws_lambda_powertools.utilities.parser",
           "aws_lambda_powertools.utilities.typing", "aws_xray_sdk.core")
#: How long the first environment may wait for the zygote's imports before starting on its own.
READY_SECONDS = 30.0
_MESSAGE = 1 << 16


def bundles_preload(task_root: Path) -> bool:
    """Whether the function's code ships its own copy of a preloaded package."""
    return any((task_root / name.split(".")[0]).exists() for name in PRELOAD)


class ForkedProcess:
    """An environment forked by the zygote: the ``subprocess.Popen`` subset an
    ``ExecutionEnvironment`` uses.

    The zygote is its parent, so its exit status arrives from there.
    """

    def __init__(self, zygote: Zygote, pid: int, stdin: Any, stdout: Any) -> None:
        self._zygote = zygote
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout

    @property
    def returncode(self) -> int | None:
        return self._zygote.exit_status(self.pid)

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        status = self._zygote.wait_exit(self.pid, timeout)
        if status is None:
            raise subprocess.TimeoutExpired(f"lambda environment {self.pid}", timeout or 0)
        return status


class Zygote:
    """The server's side: starts the zygote and asks it for environments."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno())], pass_fds=[theirs.fileno()],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        theirs.close()
        self._lock = threading.Lock()  # one fork request at a time: the answer is its pid
        self._changed = threading.Condition()
        self._ready: bool | None = None
        self._forked: list[int] = []
        self._exits: dict[int, int] = {}
        threading.Thread(target=self._read, name="lambda-zygote", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(_MESSAGE)
            except OSError:
                data = b""
            with self._changed:
                if not data:  # the zygote is gone: nothing more will be forked or reported
                    self._ready = False
                    self._changed.notify_all()
                    return
                message = json.loads(data)
                if "ready" in message:
                    self._ready = bool(message["ready"])
                elif "pid" in message:
                    self._forked.append(message["pid"])
                elif "exited" in message:
                    self._exits[message["exited"]] = message["status"]
                self._changed.notify_all()

    def ready(self, timeout: float = READY_SECONDS) -> bool:
        with self._changed:
            self._changed.wait_for(lambda: self._ready is not None, timeout)
            return bool(self._ready)

    def spawn(self, task_root: Path, env: dict[str, str], log: Any) -> ForkedProcess | None:
        """Fork an environment running ``runtime.py``; None when the zygote cannot."""
        if not self.ready():
            return None
        requests_r, requests_w = os.pipe()
        replies_r, replies_w = os.pipe()
        with self._lock:
            try:
                request = json.dumps({"cwd": str(task_root), "env": env}).encode()
                socket.send_fds(self._sock, [request], [requests_r, replies_w, log.fileno()])
                with self._changed:
                    if self._changed.wait_for(lambda: self._forked or self._ready is False, 10):
                        pid = self._forked.pop(0) if self._forked else None
                    else:  # an answer this late could be taken for the next one's: stop asking
                        self._ready, pid = False, None
            except OSError:
                pid = None
            finally:
                os.close(requests_r)
                os.close(replies_w)
        if pid is None:
            os.close(requests_w)
            os.close(replies_r)
            return None
        return ForkedProcess(self, pid, os.fdopen(requests_w, "wb"), os.fdopen(replies_r, "rb"))

    def exit_status(self, pid: int) -> int | None:
        with self._changed:
            return self._exits.get(pid)

    def wait_exit(self, pid: int, timeout: float | None) -> int | None:
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits or self._ready is False, timeout)
            return self._exits.get(pid)

    def close(self) -> None:
        # shutdown, not just close: the reader thread's recv holds the socket open until it
        # returns, and the zygote only leaves once it sees the end of the connection.
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


# -- the zygote process ------------------------------------------------------------------

def _environment(sock: socket.socket, request: dict[str, Any], fds: list[int]) -> None:
    """In the forked child: become the environment, then run the runtime; never returns."""
    try:
        sock.close()
        os.setsid()
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        # A fresh interpreter's path starts with the task root (``random`` reseeds itself
        # in a forked child).
        sys.path[0] = request["cwd"]
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # Imported in the forked environment only: the zygote itself must not hold the
        # runtime's state, which each environment sets up from its own variables.
        from workflow.local.lambda_ import runtime

        sys.argv = [runtime.__file__]  # what ``python -m ...runtime`` would show
        runtime.main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:  # noqa: BLE001 - the environment's end, reported as its exit status
        import traceback  # only an environment that is ending on an error needs it

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _reap(sock: socket.socket) -> None:
    while True:
        try:
            pid, raw = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        sock.send(json.dumps({"exited": pid, "status": os.waitstatus_to_exitcode(raw)}).encode())


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[0]))
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            continue
    # Forking a process with threads would copy locks held by threads that do not exist in
    # the child: refuse, and every environment starts on its own.
    sock.send(json.dumps({"ready": threading.active_count() == 1}).encode())
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    while True:
        watched: list[Any] = [sock, wake_r]
        readable, _, _ = select.select(watched, [], [])
        if wake_r in readable:
            os.read(wake_r, 4096)
            _reap(sock)
        if sock not in readable:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MESSAGE, 3)
        except InterruptedError:
            continue
        if not data:  # the server is gone; its environments notice on their own
            return 0
        pid = os.fork()
        if pid == 0:
            signal.set_wakeup_fd(-1)
            os.close(wake_r)
            os.close(wake_w)
            _environment(sock, json.loads(data), fds)
        for fd in fds:
            os.close(fd)
        sock.send(json.dumps({"pid": pid}).encode())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
