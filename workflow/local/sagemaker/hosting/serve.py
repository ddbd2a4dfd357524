"""One endpoint instance: a process serving the SageMaker container contract.

``GET /ping`` answers 200 once the model is loaded; ``POST /invocations`` runs the
user module's ``input_fn -> predict_fn -> output_fn`` on the loaded model, like the
SageMaker inference toolkit: each function is looked up on the user module and
falls back to a default. One request runs at a time (a worker is one model
server worker); ``/ping`` never waits for it.

The parent reads ``port N``, then ``ready`` or ``failed REASON`` from ``--status-fd``
and keeps our stdin open: when it closes (the server died), this process exits,
so a killed server leaves no orphans.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


class HandlerError(Exception):
    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def default_model_fn(model_dir: str) -> Any:
    raise HandlerError(f"model_fn is not defined by the inference program ({model_dir})", 500)


def default_input_fn(body: bytes, content_type: str) -> Any:
    if content_type.split(";")[0].strip() in ("application/json", ""):
        try:
            return json.loads(body)
        except ValueError as e:
            raise HandlerError(f"Request body is not valid JSON: {e}", 400) from e
    raise HandlerError(f"Unsupported content type {content_type}", 415)


def default_predict_fn(data: Any, model: Any) -> Any:
    return model(data)


def default_output_fn(prediction: Any, accept: str) -> Any:
    if hasattr(prediction, "tolist"):
        prediction = prediction.tolist()
    return json.dumps(prediction), "application/json"


def load_program(code_dir: Path, program: str) -> ModuleType:
    """Import the user's program the way the toolkit does: its folder on sys.path."""
    sys.path.insert(0, str(code_dir))
    name = Path(program).stem
    spec = importlib.util.spec_from_file_location(name, code_dir / program)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {program} from {code_dir}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


class Handler:
    """The user's four functions (or the defaults) around one loaded model."""

    def __init__(self, module: ModuleType, model_dir: Path) -> None:
        self.input_fn = getattr(module, "input_fn", default_input_fn)
        self.predict_fn = getattr(module, "predict_fn", default_predict_fn)
        self.output_fn = getattr(module, "output_fn", default_output_fn)
        self.model = getattr(module, "model_fn", default_model_fn)(str(model_dir))
        self.lock = threading.Lock()

    def __call__(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        with self.lock:
            data = self.input_fn(body, content_type)
            prediction = self.predict_fn(data, self.model)
            result = self.output_fn(prediction, accept)
        if isinstance(result, tuple):
            result, accept = result
        if isinstance(result, str):
            result = result.encode()
        return bytes(result), accept


class State:
    handler: Handler | None = None


class Server(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the router reuses its connections
    # Headers and body leave in separate writes; Nagle's algorithm would hold the
    # second one back until the client's delayed ACK (tens of milliseconds).
    disable_nagle_algorithm = True
    state = State()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        pass  # one line per request would dominate the log; errors are logged below

    def _reply(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path != "/ping":
            self._reply(404, b"not found", "text/plain")
        elif self.state.handler is None:
            self._reply(503, b"loading", "text/plain")
        else:
            self._reply(200, b"", "text/plain")

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/invocations":
            self._reply(404, b"not found", "text/plain")
            return
        handler = self.state.handler
        if handler is None:
            self._reply(503, b"model is loading", "text/plain")
            return
        content_type = self.headers.get("Content-Type") or "application/json"
        accept = self.headers.get("Accept") or "application/json"
        if accept == "*/*":
            accept = "application/json"
        extra = {}
        if self.headers.get(CUSTOM_ATTRIBUTES):
            extra[CUSTOM_ATTRIBUTES] = self.headers[CUSTOM_ATTRIBUTES]
        try:
            result, result_type = handler(body, content_type, accept)
        except Exception as e:  # noqa: BLE001 - any user error becomes an HTTP status
            status = getattr(e, "status_code", 500)
            status = status if isinstance(status, int) and 400 <= status <= 599 else 500
            traceback.print_exc()
            self._reply(status, str(e).encode(), "text/plain", extra)
            return
        self._reply(200, result, result_type, extra)


def _watch_parent() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--code-dir", type=Path, required=True)
    parser.add_argument("--program", default="inference.py")
    parser.add_argument("--status-fd", type=int, required=True)
    args = parser.parse_args(argv)
    status = os.fdopen(args.status_fd, "w", buffering=1)
    threading.Thread(target=_watch_parent, daemon=True).start()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    httpd.daemon_threads = True
    status.write(f"port {httpd.server_address[1]}\n")
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        module = load_program(args.code_dir, args.program)
        handler = Handler(module, args.model_dir)
    except BaseException as e:  # noqa: BLE001 - the reason goes to the endpoint's FailureReason
        traceback.print_exc()
        reason = f"{type(e).__name__}: {e}".replace("\n", " ")
        status.write(f"failed {reason}\n")
        status.close()
        return 1
    if "torch" in sys.modules:
        # Workers are separate processes: one thread each keeps them from fighting over cores.
        sys.modules["torch"].set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    Server.state.handler = handler
    status.write("ready\n")
    status.close()
    print(f"serving {args.program} on port {httpd.server_address[1]}", flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
