"""Runs invocations: reserved-concurrency accounting, the execution environment's variables,
timeouts and the AWS error payloads for failures of the runtime itself."""
from __future__ import annotations

import json
import os
import queue
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workflow.local.access.caller import LAMBDA
from workflow.local.context import ServerContext
from workflow.local.errors import ClientError
from workflow.local.lambda_.environments import EnvironmentPool, ExecutionEnvironment, Outcome
from workflow.local.lambda_.zygote import Zygote, bundles_preload

#: Lambda's payload limits: 6 MB synchronous, 256 KB asynchronous.
MAX_SYNC_PAYLOAD = 6 * 1024 * 1024
MAX_ASYNC_PAYLOAD = 256 * 1024
LOG_TAIL_BYTES = 4096
#: How long an Event invocation waits for a free slot before it is dropped.
ASYNC_RETRY_SECONDS = 300.0
#: Lambda's limit on the init phase; a slower environment stops holding up the next one.
INIT_SECONDS = 10.0

# Variables of the server's own environment a function may see; the rest
# (credentials, profiles, endpoints) must not leak into the function.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


class TooManyRequestsException(ClientError):
    pass


class RequestTooLargeException(ClientError):
    pass


class InvalidRequestContentException(ClientError):
    pass


class Invoker:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.pool = EnvironmentPool()
        self._zygote: Zygote | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}
        # One thread initialises the environments started ahead, one after another.
        self._prewarm: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        threading.Thread(target=self._prewarm_queued, name="lambda-prewarm", daemon=True).start()

    def prewarm(self, function: dict[str, Any]) -> None:
        """Start one execution environment before the first invoke, as Lambda's proactive
        initialization does: the handler's imports run now, not in the first request.

        Environments initialise one after another, in the order their functions were
        created or updated: a deployment creates several functions at once, and the first
        one is usually the first one invoked, so it is not slowed by the others' imports.
        """
        self._prewarm.put(function)

    def _prewarm_queued(self) -> None:
        while True:
            function = self._prewarm.get()
            try:
                environment = self._spawn(function)
                self.pool.offer(function["FunctionName"], environment)
            except (OSError, RuntimeError):  # no environment ahead: the first invoke starts one
                continue
            environment.wait_initialised(INIT_SECONDS)

    # -- concurrency ------------------------------------------------------
    def _acquire(self, function: dict[str, Any]) -> bool:
        name = function["FunctionName"]
        reserved = function.get("_ReservedConcurrentExecutions")
        with self._lock:
            running = self._running.get(name, 0)
            if reserved is not None and running >= reserved:
                return False
            self._running[name] = running + 1
            return True

    def _release(self, name: str) -> None:
        with self._lock:
            self._running[name] -= 1

    def check_payload(self, payload: bytes, asynchronous: bool) -> None:
        limit = MAX_ASYNC_PAYLOAD if asynchronous else MAX_SYNC_PAYLOAD
        if len(payload) > limit:
            raise RequestTooLargeException(
                f"Request must be smaller than {limit} bytes for the "
                f"{'Event' if asynchronous else 'RequestResponse'} invocation type"
            )
        if payload.strip():
            try:
                json.loads(payload)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: {exc}"
                ) from exc

    # -- invocation -------------------------------------------------------
    def invoke(self, function: dict[str, Any], payload: bytes,
               client_context: Any = None) -> Outcome:
        if not self._acquire(function):
            raise TooManyRequestsException(
                "Rate Exceeded.", fields={
                    "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                    "Type": "User",
                },
            )
        try:
            return self._run(function, payload, client_context)
        finally:
            self._release(function["FunctionName"])

    def invoke_async(self, function: dict[str, Any], payload: bytes) -> None:
        """Event invocation: queued like AWS does, retried while throttled."""

        def run() -> None:
            deadline = time.monotonic() + ASYNC_RETRY_SECONDS
            while time.monotonic() < deadline:
                if self._acquire(function):
                    try:
                        self._run(function, payload, None)
                    finally:
                        self._release(function["FunctionName"])
                    return
                time.sleep(0.2)

        threading.Thread(target=run, name=f"lambda-event-{function['FunctionName']}",
                         daemon=True).start()

    def _run(self, function: dict[str, Any], payload: bytes, client_context: Any) -> Outcome:
        name = function["FunctionName"]
        request_id = str(uuid.uuid4())
        timeout = float(function["Timeout"])
        environment = self.pool.checkout(name, function["RevisionId"], lambda: self._spawn(function))
        start = _size(environment.log_path)
        message = {
            "request_id": request_id,
            "payload": payload.decode("utf-8") if payload else "",
            "deadline_ms": int((time.time() + timeout) * 1000),
            "client_context": client_context,
        }
        reply = environment.invoke(message, timeout)
        if isinstance(reply, dict):
            self.pool.checkin(name, environment)
            error = None if reply["ok"] else "Unhandled"
            answer = reply["payload"].encode()
            if len(answer) > MAX_SYNC_PAYLOAD:
                error, answer = "Unhandled", json.dumps({
                    "errorType": "Function.ResponseSizeTooLarge",
                    "errorMessage": "Response payload size exceeded maximum allowed payload "
                                    f"size ({MAX_SYNC_PAYLOAD} bytes)."}).encode()
            return Outcome(answer, error, _read(environment.log_path, start))
        if reply == "timeout":
            environment.kill()
            self.pool.discard(environment)
            text = f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds"
            _append(environment.log_path, text)
            body = {"errorType": "Sandbox.Timedout", "errorMessage": text}
        else:
            status = environment.exit_status()
            self.pool.discard(environment)
            text = (f"RequestId: {request_id} Error: Runtime exited with error: "
                    f"exit status {status}")
            _append(environment.log_path, text)
            body = {"errorType": "Runtime.ExitError", "errorMessage": text}
        return Outcome(json.dumps(body).encode(), "Unhandled", _read(environment.log_path, start))

    def _runtime_env(self, user: dict[str, str] | None = None) -> dict[str, str]:
        """The variables every execution environment has, around the function's own
        (``user``): the zygote's environment is this without them."""
        env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
        # No X-Ray daemon runs locally; Powertools' Tracer would try to reach one.
        env["POWERTOOLS_TRACE_DISABLED"] = "true"
        env.update(user or {})
        env.update({  # the runtime's own: a function's variables cannot change them
            "AWS_REGION": self.ctx.region,
            "AWS_DEFAULT_REGION": self.ctx.region,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_ENDPOINT_URL": self.ctx.endpoint_url,
            "LAMBDA_RUNTIME_DIR": str(Path(__file__).parent),
            "TZ": ":UTC",
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def start_zygote(self) -> Zygote | None:
        with self._lock:
            if self._zygote is None and not self._closed:
                cwd = self.ctx.data_dir / "lambda"
                cwd.mkdir(parents=True, exist_ok=True)
                self._zygote = Zygote(cwd, self._runtime_env())
            return self._zygote

    def _zygote_for(self, task_root: Path) -> Zygote | None:
        return None if bundles_preload(task_root) else self.start_zygote()

    def _spawn(self, function: dict[str, Any]) -> ExecutionEnvironment:
        name = function["FunctionName"]
        task_root = Path(function["_CodeDir"])
        stream = f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}"
        env = self._runtime_env((function.get("Environment") or {}).get("Variables"))
        env.update({
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function["MemorySize"]),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function['Runtime']}",
            "LAMBDA_TASK_ROOT": str(task_root),
            "LOCAL_LAMBDA_FUNCTION_ARN": function["FunctionArn"],
            "_HANDLER": function["Handler"],
        })
        credentials_until = self._role_credentials(function, env)
        # One log file per environment: concurrent invocations never interleave in one tail.
        log_path = self.ctx.data_dir / "lambda" / "logs" / name / f"{uuid.uuid4().hex}.log"
        return ExecutionEnvironment(function["RevisionId"], task_root, env, log_path, self._zygote_for(task_root),
                                    credentials_until=credentials_until)

    def _role_credentials(self, function: dict[str, Any], env: dict[str, str]) -> float:
        """Put the function role's temporary credentials in ``env``, as Lambda does ("Defined
        runtime environment variables": AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
        AWS_SESSION_TOKEN "obtained from the function's execution role"; the session is named
        after the function). Returns until when (``time.monotonic()``) the environment may
        start an invocation: its credentials must outlast the function's timeout."""
        session = self.ctx.service_sessions.session(LAMBDA, function.get("Role"), function["FunctionName"])
        if session is None:  # no such role here: the account's, as before roles existed locally
            return float("inf")
        env.update({"AWS_ACCESS_KEY_ID": session.access_key_id,
                    "AWS_SECRET_ACCESS_KEY": session.secret_access_key,
                    "AWS_SESSION_TOKEN": session.session_token})
        left = (session.expiration - datetime.now(timezone.utc)).total_seconds()
        # (On a server whose time runs faster a session may be shorter than the timeout.)
        return time.monotonic() + left - min(float(function["Timeout"]), left / 2)

    def shutdown(self) -> None:
        self.pool.close()
        with self._lock:
            zygote, self._zygote, self._closed = self._zygote, None, True
        if zygote is not None:
            zygote.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read(path: Path, start: int) -> bytes:
    """The end of what the invocation logged since ``start`` (Tail returns the last 4 KB)."""
    with open(path, "rb") as log:
        log.seek(max(start, _size(path) - LOG_TAIL_BYTES))
        return log.read()


def _append(path: Path, line: str) -> None:
    with open(path, "ab") as log:
        log.write(line.encode() + b"\n")
