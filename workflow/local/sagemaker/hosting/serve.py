"""One endpoint instance: the SageMaker PyTorch inference container's serving stack.

In the container, the model server (TorchServe) hands every request to the handler
service of ``sagemaker-pytorch-inference``, which runs the user's program through the
``sagemaker-inference`` toolkit's Transformer: ``model_fn`` once, then ``input_fn ->
predict_fn -> output_fn`` per request (the toolkit's PyTorch defaults for any the program
leaves out); an error of the toolkit's types (``BaseInferenceToolkitError``) keeps its
HTTP status, any other is a 500. This process runs that same handler service and takes
the model server's place: ``GET /ping`` answers 200 once the model is loaded, ``POST
/invocations`` passes one request at a time to the handler (a worker is one model server
worker); ``/ping`` never waits for it.

The parent reads ``port N``, then ``ready`` or ``failed REASON`` from ``--status-fd``
and keeps our stdin open: when it closes (the server died), this process exits,
so a killed server leaves no orphans.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import traceback
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

from sagemaker_pytorch_serving_container.handler_service import HandlerService

# Only the head parser: the protocol package loads no botocore model for it.
from workflow.local.protocol.head import RequestHandler
from workflow.local.protocol.http import Headers

CUSTOM_ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"


class _Request:
    def __init__(self, headers: dict[str, str]) -> None:
        self._headers = headers

    def get_request_properties(self) -> dict[str, str]:
        return self._headers


class RequestContext:
    """The model server's side of one request, as the handler service reads and sets it
    (TorchServe's ``Context``): the model directory, the request's headers, and the status,
    content type and headers of the answer."""

    def __init__(self, model_dir: str, headers: dict[str, str]) -> None:
        self.model_name = "model"  # what the container's TorchServe calls the one model it serves
        self.system_properties = {"model_dir": model_dir, "gpu_id": None, "batch_size": 1}
        self.request_processor = [_Request(headers)]
        self.status, self.phrase = 200, ""
        self.content_type: str | None = None
        self.headers: dict[str, str] = {}

    def set_response_status(self, code: int = 200, phrase: str = "", idx: int = 0) -> None:
        self.status, self.phrase = code, phrase

    def set_response_content_type(self, idx: int, value: str) -> None:
        self.content_type = value

    def set_response_header(self, idx: int, key: str, value: str) -> None:
        self.headers[key] = value


class Handler:
    """The container's handler service around one loaded model."""

    def __init__(self, model_dir: Path, code_dir: Path, program: str) -> None:
        # The container puts the code folder on PYTHONPATH before the model server starts
        # (sagemaker_pytorch_serving_container.torchserve) and names the program in
        # SAGEMAKER_PROGRAM, which the Transformer imports by module name.
        sys.path.insert(0, str(code_dir))
        os.environ["SAGEMAKER_PROGRAM"] = program
        self.model_dir = str(model_dir)
        self.service = HandlerService()
        self.service.initialize(RequestContext(self.model_dir, {}))
        self.lock = threading.Lock()

    def __call__(self, body: bytes, headers: dict[str, str]) -> tuple[RequestContext, bytes]:
        context = RequestContext(self.model_dir, headers)
        with self.lock:
            # TorchServe hands the handler a batch of one: the body as a bytearray.
            answer = self.service.handle([{"body": bytearray(body)}], context)[0]
        return context, answer.encode() if isinstance(answer, str) else bytes(answer)


class State:
    handler: Handler | None = None


class Server(RequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the router reuses its connections
    # Headers and body leave in separate writes; Nagle's algorithm would hold the
    # second one back until the client's delayed ACK (tens of milliseconds).
    disable_nagle_algorithm = True
    state = State()

    def log_message(self, format: str, *args: Any) -> None:  # http.server names it so
        pass  # one line per request would dominate the log; errors are logged below

    def _reply(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        # Status, headers and body in one write: the router wakes up once per answer.
        self._headers_buffer.append(b"\r\n" + body)  # type: ignore[attr-defined]  # http.server's, not in its stubs
        self.flush_headers()

    def do_GET(self) -> None:  # noqa: N802 - http.server calls do_<METHOD>
        if self.path != "/ping":
            self._reply(404, b"not found", "text/plain")
        elif self.state.handler is None:
            self._reply(503, b"loading", "text/plain")
        else:
            self._reply(200, b"", "text/plain")

    def do_POST(self) -> None:  # noqa: N802 - http.server calls do_<METHOD>
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/invocations":
            self._reply(404, b"not found", "text/plain")
            return
        handler = self.state.handler
        if handler is None:
            self._reply(503, b"model is loading", "text/plain")
            return
        # The headers by any case of their names, as the toolkit and TorchServe read them.
        context, answer = handler(body, cast(Headers, self.headers))
        extra = {k: v for k, v in context.headers.items() if k.lower() == CUSTOM_ATTRIBUTES.lower()}
        if context.status != 200:
            # The toolkit's answer is the message and its traceback; it has logged the
            # traceback to this instance's log (CloudWatch on AWS): the caller gets the message.
            self._reply(context.status, context.phrase.encode(), "text/plain", extra)
            return
        self._reply(200, answer, context.content_type or "application/json", extra)


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
        handler = Handler(args.model_dir, args.code_dir, args.program)
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
