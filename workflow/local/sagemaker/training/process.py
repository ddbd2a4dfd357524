"""The training script's process: its own process group, so a stop ends the whole tree."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import psutil

#: How long a script has to exit after SIGTERM before SIGKILL (SageMaker gives 120 s;
#: locally a stop should be quick).
STOP_GRACE_SECONDS = 3.0


class ScriptProcess:
    """Runs ``python <program> <args>`` and hands each output line to ``on_line``."""

    def __init__(self, program: str, args: list[str], cwd: Path, env: dict[str, str],
                 log: Path, on_line: Callable[[str], None]) -> None:
        self.command = [sys.executable, program, *args]
        full_env = {**os.environ, **env}
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(cwd), os.environ.get("PYTHONPATH", "")) if p)
        self._log = log.open("ab")
        self.popen = subprocess.Popen(
            self.command, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.pid = self.popen.pid
        self._on_line = on_line
        self._reader = threading.Thread(target=self._read, name=f"log-{self.pid}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for raw in self.popen.stdout:
            self._log.write(raw)
            self._log.flush()
            self._on_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    def poll(self) -> int | None:
        return self.popen.poll()

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def terminate(self) -> None:
        self.signal_group(signal.SIGTERM)

    def finish(self, timeout: float = 10.0) -> int:
        """Wait for the exit, end any process the script left behind, close the log."""
        code = self.popen.wait()
        self.signal_group(signal.SIGKILL)  # orphaned children (data-loader workers, ...)
        self._reader.join(timeout)
        self._log.close()
        return code


def process_start_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def kill_group(pid: int, started: float | None) -> None:
    """End a job's process group left by an earlier server run (see TrainingJobs.start).

    Only when the process is still the one the job started: after a reboot the
    id may belong to something else.
    """
    if started is None or process_start_time(pid) != started:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
