"""The process a Lambda function runs in: ``python -m workflow.local.lambda_.runtime``.

It plays the part of the AWS Python runtime: imports the handler named by
``_HANDLER`` from ``LAMBDA_TASK_ROOT`` once (the cold start), then serves
invocations one at a time, each a JSON line on the private request pipe
answered by a JSON line on the private reply pipe (whose first line says the
initialisation is over). The handler's own
stdout/stderr go to the function's log file, as they go to CloudWatch Logs.
"""
from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
from typing import IO, Any, Callable


class LambdaContext:
    """The ``context`` argument, with the attributes the AWS Python runtime gives it."""

    def __init__(self, request_id: str, deadline_ms: int, client_context: Any = None) -> None:
        self.aws_request_id = request_id
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = os.environ["LOCAL_LAMBDA_FUNCTION_ARN"]
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_payload(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """The ``Unhandled`` payload AWS returns: errorMessage, errorType, stackTrace."""
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:]),
    }


def load_handler(spec: str) -> Callable[[Any, LambdaContext], Any]:
    module_name, _, function_name = spec.rpartition(".")
    if not module_name:
        raise _InitError("Runtime.MalformedHandlerName",
                         f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise _InitError("Runtime.ImportModuleError",
                         f"Unable to import module '{module_name}': {exc}") from exc
    except SyntaxError as exc:
        raise _InitError("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}") from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError("Runtime.HandlerNotFound",
                         f"Handler '{function_name}' missing on module '{module_name}'")
    return handler


class _InitError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


def _watch_parent(parent: int) -> None:
    # The server may die without closing our pipe (SIGKILL while a handler runs).
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            os._exit(1)


def _invoke(handler: Callable[..., Any], message: dict[str, Any]) -> dict[str, Any]:
    request_id = message["request_id"]
    context = LambdaContext(request_id, message["deadline_ms"], message.get("client_context"))
    event = json.loads(message["payload"]) if message["payload"] else {}
    try:
        result = handler(event, context)
    except Exception as exc:  # noqa: BLE001 - the handler's failure is the invocation's result
        traceback.print_exc()
        payload = error_payload(exc)
        payload["requestId"] = request_id
        return {"ok": False, "payload": json.dumps(payload)}
    try:
        return {"ok": True, "payload": json.dumps(result)}
    except (TypeError, ValueError) as exc:
        message_text = f"Unable to marshal response: {exc}"
        return {"ok": False, "payload": json.dumps(
            {"errorMessage": message_text, "errorType": "Runtime.MarshalError",
             "requestId": request_id, "stackTrace": []})}


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    handler: Callable[..., Any] | None = None
    init_error: dict[str, Any] | None = None
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except _InitError as exc:
        traceback.print_exc()
        init_error = {"errorMessage": str(exc), "errorType": exc.error_type,
                      "requestId": "", "stackTrace": []}
    except Exception as exc:  # noqa: BLE001 - module-level code of the function failed at import
        traceback.print_exc()
        init_error = error_payload(exc)
    # The init phase is over (a failed init is reported to the first invocation, as on AWS).
    replies.write(b'{"ready": true}\n')
    replies.flush()
    for line in requests:
        message = json.loads(line)
        started = time.monotonic()
        print(f"START RequestId: {message['request_id']} Version: $LATEST", flush=True)
        if init_error is not None:
            reply = {"ok": False, "payload": json.dumps({**init_error,
                                                          "requestId": message["request_id"]})}
        else:
            reply = _invoke(handler, message)  # type: ignore[arg-type]
        elapsed_ms = (time.monotonic() - started) * 1000
        print(f"END RequestId: {message['request_id']}", flush=True)
        print(f"REPORT RequestId: {message['request_id']}\tDuration: {elapsed_ms:.2f} ms",
              flush=True)
        sys.stdout.flush()
        sys.stderr.flush()
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()


def main() -> None:
    # Keep the pipes to the server private: the handler's prints must not corrupt replies.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stderr is the function's log file
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    if task_root not in sys.path:
        sys.path.insert(0, task_root)
    serve(requests, replies)


if __name__ == "__main__":
    main()
