"""Warm execution environments per function, and one invocation in one environment.

An execution environment is a ``runtime.py`` process holding the imported handler (forked
by the zygote when there is one, else a fresh interpreter); it serves
one invocation at a time. Idle environments are kept per function and code
revision so the next invoke skips the cold start; an environment that timed out or
crashed is killed and never reused.
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from workflow.local.lambda_.zygote import ForkedProcess, Zygote
from workflow.local.process_groups import signal_group

#: Idle environments older than this are retired on the next checkout.
IDLE_SECONDS = 600.0
MAX_IDLE_PER_FUNCTION = 4


@dataclass
class Outcome:
    payload: bytes
    #: None on success; "Unhandled" when the handler or the runtime failed.
    function_error: str | None
    log: bytes


class ExecutionEnvironment:
    def __init__(self, revision: str, task_root: Path, env: dict[str, str], log_path: Path,
                 zygote: Zygote | None = None, *, credentials_until: float = float("inf")) -> None:
        self.revision = revision
        #: ``time.monotonic()`` after which the environment's role credentials are too old
        #: to start another invocation with.
        self.credentials_until = credentials_until
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "ab")
        forked = zygote.spawn(task_root, env, self._log) if zygote is not None else None
        self.process: subprocess.Popen[bytes] | ForkedProcess = forked or subprocess.Popen(
            [sys.executable, "-m", "workflow.local.lambda_.runtime"],
            cwd=task_root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, start_new_session=True,
        )
        self.idle_since = time.monotonic()
        self._buffer = b""
        self._initialised = False
        self._reading = threading.Lock()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_initialised(self, timeout: float) -> str | None:
        """Wait for the end of the init phase (the handler's imports); "timeout" or "exited"
        when it did not end, None when it did."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        if not self._reading.acquire(timeout=max(0.0, timeout)):
            return "timeout"
        try:
            if not self._initialised:
                line = self._read_line(self.process.stdout, deadline)
                if isinstance(line, str):
                    return line
                self._initialised = True
            return None
        finally:
            self._reading.release()

    def invoke(self, message: dict[str, Any], timeout: float) -> dict[str, Any] | str:
        """The environment's reply, or "timeout" / "exited" when it gave none. A cold environment's
        init phase counts against the timeout, as on AWS."""
        assert self.process.stdin is not None and self.process.stdout is not None
        deadline = time.monotonic() + timeout
        failed = self.wait_initialised(timeout)
        if failed:
            return failed
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return "exited"
        line = self._read_line(self.process.stdout, deadline)
        if isinstance(line, str):
            return line
        return json.loads(line)

    def _read_line(self, pipe: IO[bytes], deadline: float) -> bytes | str:
        fd = pipe.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return "exited"
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def kill(self) -> None:
        signal_group(self.process.pid)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        self._log.close()

    def exit_status(self) -> int | None:
        try:
            return self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None


class EnvironmentPool:
    """Idle environments keyed by function name; every environment ever started is tracked for shutdown."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: dict[str, list[ExecutionEnvironment]] = {}
        self._all: set[ExecutionEnvironment] = set()
        self._closed = False

    def checkout(self, function: str, revision: str, spawn: Any) -> ExecutionEnvironment:
        retired: list[ExecutionEnvironment] = []
        environment = None
        with self._lock:
            if self._closed:
                raise RuntimeError("the local Lambda service is shutting down")
            idle = self._idle.get(function, [])
            now = time.monotonic()
            while idle:
                candidate = idle.pop()
                if candidate.revision == revision and candidate.alive and \
                        now - candidate.idle_since < IDLE_SECONDS and now < candidate.credentials_until:
                    environment = candidate
                    break
                retired.append(candidate)
        for old in retired:
            self._discard(old)
        if environment is None:
            environment = spawn()
            with self._lock:
                self._all.add(environment)
        return environment

    def offer(self, function: str, environment: ExecutionEnvironment) -> None:
        """Add an environment nobody has checked out yet (started ahead of demand) to the idle ones."""
        with self._lock:
            self._all.add(environment)
        self.checkin(function, environment)

    def checkin(self, function: str, environment: ExecutionEnvironment) -> None:
        environment.idle_since = time.monotonic()
        with self._lock:
            idle = self._idle.setdefault(function, [])
            if not self._closed and environment.alive and len(idle) < MAX_IDLE_PER_FUNCTION:
                idle.append(environment)
                return
        self._discard(environment)

    def discard(self, environment: ExecutionEnvironment) -> None:
        self._discard(environment)

    def _discard(self, environment: ExecutionEnvironment) -> None:
        environment.kill()
        with self._lock:
            self._all.discard(environment)

    def retire(self, function: str) -> None:
        """Kill the idle environments of a function whose code or configuration changed."""
        with self._lock:
            idle = self._idle.pop(function, [])
        for environment in idle:
            self._discard(environment)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            environments = list(self._all)
            self._idle.clear()
        for environment in environments:
            self._discard(environment)
