"""The server's handle on one worker process: start, readiness, requests, stop.

Requests go over HTTP/1.1 connections kept alive and reused, so routing costs one
loopback round trip and no connection setup.
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

from workflow.local.protocol import head
from workflow.local.protocol.http import Headers
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


class _Connection:
    """One kept-alive connection to a worker's ``/invocations``.

    Written on a socket rather than with ``http.client``, which sends a request's head and
    body in two writes (the worker wakes up twice) and reads the answer's head with the
    email package's MIME parser: together a fifth of the server's CPU per InvokeEndpoint.
    The worker is our own HTTP/1.1 server answering with ``Content-Length``, so the
    exchange needs no more than this.
    """

    def __init__(self, port: int, timeout: float) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        # Small request/response pairs: Nagle's delay would add milliseconds each.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb")

    def exchange(self, request: bytes, timeout: float) -> tuple[int, Headers, bytes]:
        """Send one whole request, return the status, headers and body of its answer."""
        self.sock.settimeout(timeout)
        self.sock.sendall(request)
        line = self.rfile.readline(head.MAX_LINE + 1)
        version, _, rest = line.decode("latin-1").partition(" ")
        if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
            raise http.client.BadStatusLine(line[:80].decode("latin-1") or "connection closed")
        headers = head.read_headers(self.rfile)
        length = int(headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if len(body) != length:
            raise http.client.IncompleteRead(body, length - len(body))
        return int(rest[:3]), headers, body

    def close(self) -> None:
        self.rfile.close()
        self.sock.close()


@dataclass
class Worker:
    spec: WorkerSpec
    variant: str
    id: int = field(default_factory=lambda: next(_ids))
    port: int = 0
    in_flight: int = 0
    retiring: bool = False
    process: zygote.WorkerProcess | None = None
    _idle: list[_Connection] = field(default_factory=list)
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

    def _connection(self, timeout: float) -> _Connection:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        return conn if conn is not None else _Connection(self.port, timeout)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None,
        custom_attributes: str | None, timeout: float,
    ) -> Reply:
        """POST /invocations; TimeoutError when the model takes longer than ``timeout``."""
        lines = [b"POST /invocations HTTP/1.1", b"Host: 127.0.0.1",
                 b"Content-Type: " + (content_type or "application/octet-stream").encode("latin-1"),
                 b"Content-Length: %d" % len(body)]
        if accept:
            lines.append(b"Accept: " + accept.encode("latin-1"))
        if custom_attributes:
            lines.append(b"X-Amzn-SageMaker-Custom-Attributes: " + custom_attributes.encode("latin-1"))
        request = b"\r\n".join(lines) + b"\r\n\r\n" + body
        try:
            conn = self._connection(timeout)
        except OSError as e:
            raise WorkerUnreachable(str(e)) from e
        try:
            status, headers, data = conn.exchange(request, timeout)
        except TimeoutError:
            conn.close()
            raise
        except (OSError, ValueError, http.client.HTTPException, head.HeadError) as e:
            conn.close()
            raise WorkerUnreachable(str(e) or type(e).__name__) from e
        if (headers.get("Connection") or "").lower() == "close":
            conn.close()
        else:
            with self._lock:
                self._idle.append(conn)
        return Reply(
            status=status, body=data,
            content_type=headers.get("Content-Type") or "application/octet-stream",
            custom_attributes=headers.get("X-Amzn-SageMaker-Custom-Attributes"),
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
