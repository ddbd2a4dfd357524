"""The training script's process, which outlives the server that started it.

The script runs in a session of its own (a stop ends the whole tree, a signal to the
server's group never reaches it), writes straight into the job's log file (no pipe to
the server, so a dead server is no broken pipe), and a shell around it writes its exit
status next to the log. A server that crashed and started again finds the process by
its id and start time, reads the log from where it is, and learns how the script ended
from the exit file even when it ended while no server was watching.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from workflow.local.process_groups import signal_group

#: How long a script has to exit after SIGTERM before SIGKILL (SageMaker gives 120 s;
#: locally a stop should be quick).
STOP_GRACE_SECONDS = 3.0

# ``sh -c LAUNCHER sh PID_FILE EXIT_FILE COMMAND...``: notes its own id (found again even if
# the server died before it could store it), runs COMMAND, then writes its status. The trap
# keeps the shell alive through a SIGTERM sent to the group (the script gets it and may save
# a checkpoint) so that the status is still written; a trapped signal is reset to its
# default in the script.
LAUNCHER = ('printf %s "$$" > "$1"; f=$2; shift 2; trap : TERM; "$@"; code=$?; '
            'printf %s "$code" > "$f.tmp" && mv "$f.tmp" "$f"; exit "$code"')


class LogTail:
    """The complete lines appended to a file since the last read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def lines(self) -> list[str]:
        try:
            with self.path.open("rb") as log:
                log.seek(self._offset)
                chunk = log.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        *complete, self._partial = (self._partial + chunk).split(b"\n")
        return [raw.decode("utf-8", errors="replace").rstrip("\r") for raw in complete]

    def rest(self) -> list[str]:
        """Every line left, the unterminated last one included."""
        lines = self.lines()
        if self._partial:
            lines.append(self._partial.decode("utf-8", errors="replace").rstrip("\r"))
            self._partial = b""
        return lines


class ScriptProcess:
    """``python <program> <args>`` of one job: started here (``spawn``) or found again (``attach``)."""

    def __init__(self, pid: int, command: list[str], log: Path, exit_file: Path,
                 popen: subprocess.Popen[bytes] | None = None) -> None:
        self.pid = pid
        self.command = command
        self.exit_file = exit_file
        self.popen = popen
        self.tail = LogTail(log)

    @classmethod
    def spawn(cls, program: str, args: list[str], cwd: Path, env: dict[str, str], log: Path,
              pid_file: Path, exit_file: Path) -> ScriptProcess:
        command = [sys.executable, program, *args]
        full_env = {**os.environ, **env}
        full_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(cwd), os.environ.get("PYTHONPATH", "")) if p)
        exit_file.unlink(missing_ok=True)
        with log.open("ab") as out:
            popen = subprocess.Popen(
                ["/bin/sh", "-c", LAUNCHER, "sh", str(pid_file), str(exit_file), *command], cwd=cwd,
                env=full_env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(popen.pid, command, log, exit_file, popen)

    @classmethod
    def attach(cls, command: list[str], log: Path, pid_file: Path, exit_file: Path) -> ScriptProcess | None:
        """The process an earlier server started, if it still runs or left its exit status."""
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            return None  # it never started
        process = cls(pid, command, log, exit_file)
        return process if exit_file.exists() or process.alive else None

    @property
    def alive(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        try:
            found = psutil.Process(self.pid)
            # After a reboot the id may belong to something else: this job's launcher names
            # its exit file on its command line.
            return found.status() != psutil.STATUS_ZOMBIE and str(self.exit_file) in found.cmdline()
        except psutil.Error:
            return False

    def poll(self) -> int | None:
        """The exit status once the script ended (-SIGKILL when it left none), else None."""
        if self.popen is not None:
            return self.popen.poll()
        if self.alive:
            return None
        return self._written_status()

    def _written_status(self) -> int:
        try:
            return int(self.exit_file.read_text().strip())
        except (OSError, ValueError):
            return -signal.SIGKILL  # killed before the shell could write it

    def lines(self) -> list[str]:
        return self.tail.lines()

    def signal_group(self, sig: int) -> None:
        if self.popen is None and not self.alive:
            return  # never signal a group that is no longer this job's
        signal_group(self.pid, sig)

    def terminate(self) -> None:
        self.signal_group(signal.SIGTERM)

    def finish(self) -> tuple[int, list[str]]:
        """Wait for the exit, end any process the script left behind; the status and the
        log's last lines."""
        code = self.popen.wait() if self.popen is not None else self._written_status()
        signal_group(self.pid)  # orphaned children (data-loader workers, ...)
        return code, self.tail.rest()
