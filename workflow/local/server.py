"""The local AWS server: a threaded HTTP/1.1 server on loopback in front of the
protocol layer and the service backends registered in ``services.py``."""
from __future__ import annotations

import fcntl
import importlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, BinaryIO, cast
from urllib.parse import parse_qs, urlsplit

from workflow.local import services
from workflow.local.access.authorizer import Authorizer, IamMode
from workflow.local.access.gate import Gate
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.iam import roles
from workflow.local.lifecycle import STATE_FILE, private_directory
from workflow.local.mlflow_server import TrackingServer
from workflow.local.mlflow_server import available as mlflow_available
from workflow.local.origin import refusal
from workflow.local.protocol import head
from workflow.local.protocol.body import BodyReader
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request, Response
from workflow.local.protocol.models import botocore_session
from workflow.local.protocol.rest_xml import is_virtual_host
from workflow.local.store import Store

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
LOCK_FILE = "server.lock"
STORE_FILE = "state.sqlite3"
#: The server's own settings in its store, kept across restarts.
SETTINGS = "server.settings"


class ServerAlreadyRunning(RuntimeError):
    pass


def load_backend_class(spec: str) -> type[Backend]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class _Handler(head.RequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: with Nagle's algorithm on, the
    # client's delayed ACK adds ~40 ms to every keep-alive response.
    disable_nagle_algorithm = True
    server: _HTTPServer


    def handle_expect_100(self) -> bool:
        # 100 Continue goes out when the body is first read (see _reader), not before the
        # request is routed: an upload refused up front is then never sent.
        self._continue_pending = True
        return True

    def _send_continue(self) -> None:
        self.send_response_only(100)
        self.end_headers()

    def _reader(self) -> BodyReader:
        chunked = "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        waiting = getattr(self, "_continue_pending", False)
        self._continue_pending = False
        return BodyReader(cast(BinaryIO, self.rfile), length, chunked, self._send_continue if waiting else None)

    def _target(self) -> tuple[str, Headers]:
        """The path and headers; an absolute-form target (``GET http://host/path``, as a
        client configured with this server as its HTTP proxy sends) names the host."""
        headers: Headers = self.headers  # type: ignore[assignment] # parse_request's
        target = self.path
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            headers["Host"] = parts.netloc
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return target, headers

    def _serve(self) -> None:
        reader = self._reader()
        target, headers = self._target()
        path = target.split("?", 1)[0]
        refused = refusal(headers, self.command, path, self.server.local.port)
        if refused is not None:
            response = Response(403, {"Content-Type": "application/json"},
                                json.dumps({"__type": "AccessDenied", "message": refused}).encode())
        elif path == "/console" or path.startswith("/console/"):
            from workflow.local.console import handle as console  # loaded on the first page view
            answer = console(
                self.command, path, parse_qs(urlsplit(target).query), reader.readall(),
                endpoint_url=self.server.local.endpoint_url, data_dir=self.server.local.data_dir,
                mlflow_url=self.server.local.mlflow_url)
            assert answer is not None  # the path is the console's
            response = Response(*answer)
        elif self.command in ("GET", "HEAD") and path in ("/", "/health") and not (
            headers.get("X-Amz-Target") or headers.get("Authorization") or "?" in target
            or is_virtual_host(headers.get("Host"))
        ):
            response = self.server.local.health()
        else:
            request = Request(self.command, target, headers, stream=cast(BinaryIO, reader))
            response = self.server.local.dispatcher.dispatch(request)
        try:
            self._send(response)
        finally:
            if response.stream is not None:
                response.stream.close()
        if not reader.drain():
            self.close_connection = True

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for key, value in response.headers.items():
            self.send_header(key, value)
        length = response.stream.length if response.stream is not None else len(response.body)
        if "Content-Length" not in response.headers:
            self.send_header("Content-Length", str(length))
        if self.command == "HEAD":
            self.end_headers()
            return
        if response.stream is not None:
            self.end_headers()
            self.wfile.flush()
            response.stream.send(self.connection)
            return
        # Status, headers and body in one write: the client wakes up once per answer.
        self._headers_buffer.append(b"\r\n" + response.body)  # type: ignore[attr-defined]  # http.server's
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # http.server names it so
        log.debug("%s " + format, self.address_string(), *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Many clients (engine threads, Lambda workers, tests) connect at once.
    request_queue_size = 128
    local: LocalServer


def _warm_up(ctx: ServerContext) -> None:
    """What the backends need on first use: the ASL engine (CreateStateMachine), a boto3
    client (the first Task state: boto3's import and botocore's endpoint data take a quarter
    of a second) and Optuna (the first tuning job). Done before the server says it is up:
    in a thread beside the first requests, it held the GIL they and the first execution's
    states need, and whoever starts a server has set-up of its own to do meanwhile."""
    _import("workflow.engine")
    try:
        # botocore lists its hundreds of services once per session (validating an aws-sdk
        # Task resource asks for the list).
        botocore_session().get_available_services()
        ctx.client(next(iter(ctx.backends), "stepfunctions"))
    except Exception:
        log.debug("warming the boto3 session failed", exc_info=True)
    _import("optuna")


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError:  # a backend that needs it reports the error when it is used
        pass


class LocalServer:
    """Binds, builds the backends, serves until ``shutdown()``.

    ``mlflow_port``: the MLflow tracking server's port (0: any free one; None: no tracking
    server); it starts with ``serve_forever`` and stops with ``shutdown``.
    """

    def __init__(
        self, data_dir: Path, *, port: int = 0, time_scale: float = 1.0,
        backends: Sequence[str] | None = None, iam: IamMode | None = None,
        mlflow_port: int | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.data_dir = Path(data_dir).resolve()
        # The store holds the secrets of the role sessions it issues: the owner's only.
        private_directory(self.data_dir)
        self._lock_file = self._lock()
        self.httpd = _HTTPServer((HOST, port), _Handler)
        self.httpd.local = self
        self.port = self.httpd.server_address[1]
        self.endpoint_url = f"http://{HOST}:{self.port}"
        self.ctx = ServerContext(
            data_dir=self.data_dir, store=Store(self.data_dir / STORE_FILE),
            endpoint_url=self.endpoint_url, time_scale=time_scale,
        )
        for spec in services.BACKENDS if backends is None else backends:
            backend = load_backend_class(spec)(self.ctx)
            self.ctx.backends[backend.service] = backend
        self.iam = self._iam_mode(iam)
        if "iam" in self.ctx.backends:
            self.ctx.authorizer = Authorizer(roles(self.ctx), self.iam)
        self.dispatcher = Dispatcher(self.ctx.backends, Gate(self.ctx))
        self.tracking = (TrackingServer(self.data_dir, mlflow_port)
                         if mlflow_port is not None and mlflow_available() else None)
        if mlflow_port is not None and self.tracking is None:
            log.warning("MLflow is not installed: no tracking server (pip install -e '.[local]')")
        self._stopped = threading.Event()
        self._serving = threading.Event()
        self._stop_lock = threading.Lock()
        self._stopping = False

    def _iam_mode(self, requested: IamMode | None) -> IamMode:
        """The mode asked for, else the one this data directory last ran with, else enforce;
        remembered for the next start."""
        stored = self.ctx.store.get(SETTINGS, "iam")
        mode = requested or (IamMode(stored["mode"]) if stored else IamMode.ENFORCE)
        self.ctx.store.put(SETTINGS, "iam", {"mode": mode.value})
        return mode

    def _lock(self) -> IO[str]:
        # One server per data directory: two would race on the same store and processes.
        handle = open(self.data_dir / LOCK_FILE, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ServerAlreadyRunning(
                f"another local server is running on {self.data_dir}"
            ) from None
        return handle

    def health(self) -> Response:
        body = json.dumps({"status": "ok", "services": sorted(self.ctx.backends)}).encode()
        return Response(200, {"Content-Type": "application/json"}, body)

    @property
    def mlflow_url(self) -> str | None:
        return self.tracking.url if self.tracking is not None else None

    def serve_forever(self) -> None:
        if self.tracking is not None:  # boots beside the backends; nothing waits for it
            self.tracking.start()
        for backend in self.ctx.backends.values():
            backend.start()
        _warm_up(self.ctx)
        self._write_state()
        with self._stop_lock:
            if self._stopping:  # a stop arrived while the backends started
                self._stopped.set()
                return
            self._serving.set()
        try:
            self.httpd.serve_forever(poll_interval=0.2)
        finally:
            self._stopped.set()

    @staticmethod
    def _shutdown(backends: list[Backend]) -> None:
        for backend in backends:
            try:
                backend.shutdown()
            except Exception:
                log.exception("shutting down %s failed", backend.service)

    def _write_state(self) -> None:
        state = {
            "pid": os.getpid(), "port": self.port, "endpoint_url": self.endpoint_url,
            "data_dir": str(self.data_dir), "time_scale": self.ctx.time_scale, "iam": self.iam.value,
            "mlflow_url": self.mlflow_url,
            "started_at": datetime.now(timezone.utc).isoformat(),
        }
        path = self.data_dir / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(path)

    def request_stop(self) -> None:
        """Stop the orchestrators, then the request loop (call from any thread but
        the one in ``serve_forever``)."""
        with self._stop_lock:
            if not self._stopping:
                self._stopping = True
                self._shutdown([b for b in self.ctx.backends.values() if b.shutdown_first])
            serving = self._serving.is_set()
        if serving:  # httpd.shutdown() would wait forever for a loop never run
            self.httpd.shutdown()

    def shutdown(self) -> None:
        """``request_stop``, then stop every other backend (newest service first)."""
        self.request_stop()
        if self._serving.is_set():
            self._stopped.wait(timeout=10)
        self._shutdown([b for b in reversed(self.ctx.backends.values()) if not b.shutdown_first])
        if self.tracking is not None:
            self.tracking.stop()
        self.httpd.server_close()
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        self._lock_file.close()
