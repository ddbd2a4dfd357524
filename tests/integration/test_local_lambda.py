"""Lambda through boto3 against the real local server process."""
from __future__ import annotations

import base64
import io
import json
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from workflow.local.lambda_ import zip_directory

ROLE = "arn:aws:iam::123456789012:role/lambda"

HANDLER = '''
import json, os, time
import boto3

def handler(event, context):
    print("event:", json.dumps(event))
    action = event.get("action")
    if action == "fail":
        raise ValueError("the handler failed on purpose")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "touch":
        open(event["path"], "w").write(context.aws_request_id)
    if action == "call_server":
        names = [f["FunctionName"] for f in boto3.client("lambda").list_functions()["Functions"]]
        return {"functions": names}
    return {
        "event": event,
        "pid": os.getpid(),
        "version": VERSION,
        "function_name": context.function_name,
        "aws_request_id": context.aws_request_id,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT",
            "AWS_ACCESS_KEY_ID", "AWS_ENDPOINT_URL", "GREETING")},
        "cwd": os.getcwd(),
    }
'''


def package(tmp_path: Path, version: int = 1, source: str = HANDLER) -> bytes:
    folder = tmp_path / f"code-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    (folder / "app.py").write_text(source.replace("VERSION", str(version)))
    return zip_directory(folder)


@pytest.fixture
def lam(local_server: Any) -> Any:
    return local_server.client("lambda")


@pytest.fixture
def function(lam: Any, tmp_path: Path) -> str:
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": package(tmp_path)}, Timeout=2, MemorySize=256,
                        Environment={"Variables": {"GREETING": "hello"}})
    yield name
    try:
        lam.delete_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        pass


def invoke(lam: Any, name: str, event: dict, **kwargs: Any) -> tuple[dict, Any]:
    answer = lam.invoke(FunctionName=name, Payload=json.dumps(event), **kwargs)
    return answer, json.loads(answer["Payload"].read())


def test_event_context_and_environment(lam: Any, function: str, local_server: Any) -> None:
    answer, body = invoke(lam, function, {"x": [1, 2]})
    assert answer["StatusCode"] == 200 and "FunctionError" not in answer
    assert body["event"] == {"x": [1, 2]}
    assert body["function_name"] == function
    assert body["memory_limit_in_mb"] == 256
    assert body["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
    assert 0 < body["remaining_ms"] <= 2000
    uuid.UUID(body["aws_request_id"])
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == function
    assert env["AWS_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "app.handler"
    assert env["GREETING"] == "hello"
    assert env["AWS_ENDPOINT_URL"] == local_server.endpoint_url
    assert env["LAMBDA_TASK_ROOT"] == body["cwd"]


def test_warm_worker_is_reused_and_replaced_after_a_code_update(
        lam: Any, function: str, tmp_path: Path) -> None:
    _, first = invoke(lam, function, {})
    _, second = invoke(lam, function, {})
    assert first["pid"] == second["pid"]
    assert first["aws_request_id"] != second["aws_request_id"]
    updated = lam.update_function_code(FunctionName=function, ZipFile=package(tmp_path, version=2))
    assert updated["CodeSha256"] != lam.get_function(FunctionName=function)["Configuration"][
        "CodeSha256"] or updated["LastUpdateStatus"] == "Successful"
    _, third = invoke(lam, function, {})
    assert third["version"] == 2
    assert third["pid"] != first["pid"]


INIT_MARKER = '''
import os
# Module code is the Init phase: it records which process ran it.
with open(os.environ["MARKER"] + ".tmp", "w") as f:
    f.write(str(os.getpid()))
os.replace(os.environ["MARKER"] + ".tmp", os.environ["MARKER"])

def handler(event, context):
    return {"pid": os.getpid()}
'''


def test_an_environment_is_initialised_before_the_first_invoke(lam: Any, tmp_path: Path) -> None:
    marker = tmp_path / "initialised"
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": package(tmp_path, source=INIT_MARKER)},
                        Environment={"Variables": {"MARKER": str(marker)}})
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert time.monotonic() < deadline, "no environment was initialised ahead of the invoke"
            time.sleep(0.05)
        _, body = invoke(lam, name, {})
        assert body["pid"] == int(marker.read_text())
    finally:
        lam.delete_function(FunctionName=name)


SLOW_INIT = '''
import os, time
# A slow Init phase that records when it ran.
began = time.time()
time.sleep(0.5)
with open(os.environ["MARKER"], "w") as f:
    f.write(f"{began} {time.time()}")

def handler(event, context):
    return {}
'''


def test_environments_created_together_initialise_one_after_another(lam: Any, tmp_path: Path) -> None:
    names = [f"fn-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    markers = [tmp_path / f"init-{i}" for i in range(2)]
    for name, marker in zip(names, markers, strict=False):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                            Code={"ZipFile": package(tmp_path, source=SLOW_INIT)},
                            Environment={"Variables": {"MARKER": str(marker)}})
    try:
        deadline = time.monotonic() + 30
        while not all(m.exists() and m.read_text() for m in markers):
            assert time.monotonic() < deadline, "the environments were not initialised ahead"
            time.sleep(0.05)
        (first_began, first_ended), (second_began, _) = (
            map(float, m.read_text().split()) for m in markers)
        # The function created first initialises first, and alone.
        assert first_began < second_began
        assert second_began >= first_ended - 0.01
    finally:
        for name in names:
            lam.delete_function(FunctionName=name)


PROCESS_FACTS = '''
import os, random, sys
PRELOADED = sorted(m for m in ("boto3", "aws_lambda_powertools") if m in sys.modules)

def handler(event, context):
    if event.get("exit"):
        sys.stdout.flush()
        os._exit(event["exit"])
    import boto3
    return {"random": random.random(), "path0": sys.path[0], "cwd": os.getcwd(), "pid": os.getpid(),
            "sid": os.getsid(0), "preloaded": PRELOADED, "boto3": boto3.__file__,
            "greeting": os.environ.get("GREETING")}
'''


def _facts_function(lam: Any, tmp_path: Path, files: dict[str, str] | None = None) -> str:
    folder = tmp_path / f"code-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    (folder / "app.py").write_text(PROCESS_FACTS)
    for relative, text in (files or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": zip_directory(folder)}, Environment={"Variables": {"GREETING": name}})
    return name


def test_environments_are_processes_of_their_own(lam: Any, tmp_path: Path) -> None:
    # Environments start from a process that has imported the common libraries: each must
    # still look like a fresh interpreter in its task root, with its own random numbers.
    names = [_facts_function(lam, tmp_path) for _ in range(2)]
    try:
        facts = [invoke(lam, name, {})[1] for name in names]
        assert facts[0]["random"] != facts[1]["random"]
        for name, fact in zip(names, facts, strict=True):
            assert fact["preloaded"] == ["aws_lambda_powertools", "boto3"]  # the init skipped them
            assert fact["path0"] == fact["cwd"]
            assert fact["greeting"] == name
            assert fact["sid"] == fact["pid"]  # a session of its own
    finally:
        for name in names:
            lam.delete_function(FunctionName=name)


def test_a_bundled_library_is_the_one_imported(lam: Any, tmp_path: Path) -> None:
    # A package shipping its own boto3 runs that copy, not the runtime's preloaded one.
    name = _facts_function(lam, tmp_path, {"boto3/__init__.py": "BUNDLED = True\n"})
    try:
        _, fact = invoke(lam, name, {})
        assert fact["boto3"] == str(Path(fact["cwd"]) / "boto3" / "__init__.py")
        assert fact["preloaded"] == []
    finally:
        lam.delete_function(FunctionName=name)


def test_an_environment_that_exits_reports_its_status(lam: Any, tmp_path: Path) -> None:
    name = _facts_function(lam, tmp_path)
    try:
        answer, body = invoke(lam, name, {"exit": 3})
        assert answer["FunctionError"] == "Unhandled"
        assert body["errorType"] == "Runtime.ExitError"
        assert body["errorMessage"].endswith("Runtime exited with error: exit status 3")
        answer, body = invoke(lam, name, {})  # a new environment serves the next one
        assert "FunctionError" not in answer and body["greeting"] == name
    finally:
        lam.delete_function(FunctionName=name)


def test_configuration_update_reaches_the_handler(lam: Any, function: str) -> None:
    lam.update_function_configuration(FunctionName=function, Timeout=7,
                                      Environment={"Variables": {"GREETING": "bonjour"}})
    config = lam.get_function(FunctionName=function)["Configuration"]
    assert config["Timeout"] == 7
    _, body = invoke(lam, function, {})
    assert body["env"]["GREETING"] == "bonjour"
    assert body["remaining_ms"] > 2000


def test_unhandled_error_payload(lam: Any, function: str) -> None:
    answer, body = invoke(lam, function, {"action": "fail"})
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "the handler failed on purpose"
    assert any("raise ValueError" in line for line in body["stackTrace"])


def test_timeout_kills_the_invocation(lam: Any, function: str) -> None:
    started = time.monotonic()
    answer, body = invoke(lam, function, {"action": "sleep", "seconds": 30})
    assert time.monotonic() - started < 20
    assert answer["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in body["errorMessage"]
    # The next invocation gets a fresh worker and succeeds.
    answer, body = invoke(lam, function, {})
    assert "FunctionError" not in answer and body["function_name"] == function


def test_log_tail(lam: Any, function: str) -> None:
    answer, _ = invoke(lam, function, {"marker": "abc123"}, LogType="Tail")
    log = base64.b64decode(answer["LogResult"]).decode()
    assert 'event: {"marker": "abc123"}' in log
    assert "START RequestId:" in log and "REPORT RequestId:" in log


def test_event_invocation_runs_in_the_background(lam: Any, function: str, tmp_path: Path) -> None:
    marker = tmp_path / "touched"
    answer = lam.invoke(FunctionName=function, InvocationType="Event",
                        Payload=json.dumps({"action": "touch", "path": str(marker)}))
    assert answer["StatusCode"] == 202
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists()


def test_handler_clients_reach_the_local_server(lam: Any, function: str) -> None:
    _, body = invoke(lam, function, {"action": "call_server"})
    assert function in body["functions"]


def test_reserved_concurrency_throttles(lam: Any, function: str) -> None:
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=1)
    assert lam.get_function_concurrency(FunctionName=function)["ReservedConcurrentExecutions"] == 1
    assert lam.get_function(FunctionName=function)["Concurrency"] == {"ReservedConcurrentExecutions": 1}

    def slow() -> str:
        try:
            invoke(lam, function, {"action": "sleep", "seconds": 1})
            return "ok"
        except lam.exceptions.TooManyRequestsException as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 429
            return "throttled"

    with ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(lambda _: slow(), range(3)))
    assert outcomes.count("ok") >= 1 and "throttled" in outcomes

    lam.delete_function_concurrency(FunctionName=function)
    assert "ReservedConcurrentExecutions" not in lam.get_function_concurrency(FunctionName=function)
    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(lambda _: slow(), range(2))) == ["ok", "ok"]


def test_zero_reserved_concurrency_always_throttles(lam: Any, function: str) -> None:
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException) as caught:
        invoke(lam, function, {})
    assert caught.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_import_error_is_reported_like_aws(lam: Any, tmp_path: Path) -> None:
    name = f"broken-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="app.handler",
                        Code={"ZipFile": package(tmp_path, source="import no_such_module\n")})
    answer, body = invoke(lam, name, {})
    assert answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "no_such_module" in body["errorMessage"]
    lam.delete_function(FunctionName=name)


def test_function_lifecycle_errors(lam: Any, function: str, tmp_path: Path) -> None:
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function(FunctionName=function, Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": package(tmp_path)})
    lam.delete_function(FunctionName=function)
    for call in (lambda: lam.get_function(FunctionName=function),
                 lambda: lam.delete_function(FunctionName=function),
                 lambda: lam.invoke(FunctionName=function, Payload=b"{}"),
                 lambda: lam.put_function_concurrency(FunctionName=function,
                                                      ReservedConcurrentExecutions=1)):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
            call()
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_bad_code_and_runtime_are_rejected(lam: Any, tmp_path: Path, local_server: Any) -> None:
    name = f"bad-{uuid.uuid4().hex[:6]}"
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="unzip"):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": b"not a zip"})
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escaped.py", "x = 1")
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="outside"):
        lam.create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                            Handler="app.handler", Code={"ZipFile": evil.getvalue()})
    assert not list(Path(local_server.data_dir).rglob("escaped.py"))
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="runtime"):
        lam.create_function(FunctionName=name, Runtime="nodejs20.x", Role=ROLE,
                            Handler="index.handler", Code={"ZipFile": package(tmp_path)})
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)


def test_invalid_requests(lam: Any, function: str, local_server: Any) -> None:
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName=function, Payload=b"{not json")
    too_big = json.dumps({"blob": "x" * (257 * 1024)})
    with pytest.raises(lam.exceptions.RequestTooLargeException) as caught:
        lam.invoke(FunctionName=function, InvocationType="Event", Payload=too_big)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    raw = local_server.client("lambda", parameter_validation=False)
    with pytest.raises(ClientError) as caught:
        raw.update_function_configuration(FunctionName=function, Timeout="soon")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "timeout" in caught.value.response["Error"]["Message"].lower()
    with pytest.raises(ClientError) as caught:
        raw.update_function_configuration(FunctionName=function, Timeout=5000)
    assert "timeout" in caught.value.response["Error"]["Message"].lower()
    assert lam.get_function(FunctionName=function)["Configuration"]["Timeout"] == 2
