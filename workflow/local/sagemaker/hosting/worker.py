"""The server's handle on one worker process: start, readiness, requests, stop.

Requests go over ``http.client`` connections kept alive and reused, so routing
costs one loopback round trip and no connection setup.
"""
from __future__ import annotations

import http.client
import itertools
import os
import select
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from workflow.local.sagemaker.hosting import zygote
from workflow.local.sagemaker.hosting.artifacts import ServingFiles

_ids = itertools.count(1)


class WorkerStartError(Exception):
    """The worker could not load the model; the message is the FailureReason."""


class WorkerUnreachable(Exception):
    """The connection failed before a full answer came back (the worker died or closed it)."""


@dataclass(frozen=True)
class WorkerSpec:
    """Everything needed to start one more instance of a variant."""

    files: ServingFiles
    environment: dict[str, str]
    log_dir: Path


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str
    custom_attributes: str | None


@dataclass
class Worker:
    spec: WorkerSpec
    variant: str
    id: int = field(default_factory=lambda: next(_ids))
    port: int = 0
    in_flight: int = 0
    retiring: bool = False
    process: zygote.WorkerProcess | None = None
    _idle: list[http.client.HTTPConnection] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def log_path(self) -> Path:
        return self.spec.log_dir / f"{self.variant}-{self.id}.log"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.spec.log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        env.update(self.spec.environment)
        env["SM_MODEL_DIR"] = str(self.spec.files.model_dir)
        files = self.spec.files
        try:
            self.process, self._status = zygote.start_worker(
                ["--model-dir", str(files.model_dir), "--code-dir", str(files.code_dir),
                 "--program", files.program],
                env, files.code_dir, self.log_path)
        except OSError as e:
            raise WorkerStartError(f"Could not start the worker process: {e}") from e

    def wait_ready(self, timeout: float) -> None:
        """Block until the model is loaded and /ping answers 200, or raise WorkerStartError."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([self._status], [], [], left)[0]:
                    raise WorkerStartError(f"The worker did not load the model within {timeout:.0f} s")
                line = self._status.readline()
                if not line:
                    raise WorkerStartError(f"The worker exited while starting; see {self.log_path}")
                word, _, rest = line.strip().partition(" ")
                if word == "port":
                    self.port = int(rest)
                elif word == "failed":
                    raise WorkerStartError(f"Failed to load the model: {rest}")
                elif word == "ready":
                    break
        finally:
            self._status.close()
        if self.ping(timeout=max(1.0, deadline - time.monotonic())) != 200:
            raise WorkerStartError("The worker did not answer /ping with 200")

    def ping(self, timeout: float = 2.0) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", "/ping")
            return conn.getresponse().status
        except OSError:
            return 0
        finally:
            conn.close()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            conn.connect()
            # Small request/response pairs: Nagle's delay would add milliseconds each.
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            conn.sock.settimeout(timeout)
        return conn

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None,
        custom_attributes: str | None, timeout: float,
    ) -> Reply:
        """POST /invocations; TimeoutError when the model takes longer than ``timeout``."""
        headers = {"Content-Type": content_type or "application/octet-stream"}
        if accept:
            headers["Accept"] = accept
        if custom_attributes:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = custom_attributes
        try:
            conn = self._connection(timeout)
        except OSError as e:
            raise WorkerUnreachable(str(e)) from e
        try:
            conn.request("POST", "/invocations", body, headers)
            response = conn.getresponse()
            data = response.read()
        except TimeoutError:
            conn.close()
            raise
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise WorkerUnreachable(str(e)) from e
        if response.will_close:
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)
        return Reply(
            status=response.status, body=data,
            content_type=response.getheader("Content-Type") or "application/octet-stream",
            custom_attributes=response.getheader("X-Amzn-SageMaker-Custom-Attributes"),
        )

    def stop(self, grace: float = 5.0) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        process = self.process
        if process is None or process.poll() is not None:
            if process is not None and process.stdin:
                process.stdin.close()
            return
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)
        if process.stdin:
            process.stdin.close()
