"""The local console in a real headless Chromium against the real local server."""
from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.console_browser import launch, watched_page
from workflow.graph.styles import STATUS_COLOURS

ROLE = "arn:aws:iam::123456789012:role/states"
WAIT_S = 60_000  # ms, Playwright's unit
GREETER = '''
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no breed called " + event.get("who", "?"))
    return {"ok": True, "greeting": "hello " + event.get("who", "nobody")}
'''


def greeter_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", GREETER)
    return buffer.getvalue()


def greet_task(function: str, **extra: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"},
            "ResultSelector": {"ok.$": "$.Payload.ok", "greeting.$": "$.Payload.greeting"},
            "ResultPath": "$.greeting", **extra}


@pytest.fixture(scope="module")
def server(module_local_server: LocalServerHandle) -> LocalServerHandle:
    return module_local_server


@pytest.fixture(scope="module")
def function(server: LocalServerHandle) -> str:
    name = "greeter"
    server.client("lambda").create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                            Handler="app.handler", Code={"ZipFile": greeter_zip()}, Timeout=10)
    return name


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from watched_page(browser, 1400, 1000, WAIT_S)


def machine(server: LocalServerHandle, definition: dict[str, Any], prefix: str) -> str:
    return server.client("stepfunctions").create_state_machine(
        name=f"{prefix}-{uuid.uuid4().hex[:6]}", definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]


def node_fill(page: Any, state: str) -> str:
    return page.eval_on_selector(f'#graph g[id="state-{state}"] path, #graph g[id="state-{state}"] polygon',
                                 "el => el.getAttribute('fill')")


def test_start_from_console_and_watch_the_graph_succeed(server: LocalServerHandle, function: str, page: Any) -> None:
    arn = machine(server, {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Parameters": {"who.$": "$.who"}, "Next": "Greet"},
            "Greet": greet_task(function, Next="Greeted"),
            "Greeted": {"Type": "Choice", "Choices": [
                {"Variable": "$.greeting.ok", "BooleanEquals": True, "Next": "Pause"}], "Default": "Oops"},
            "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Oops": {"Type": "Fail", "Error": "NotGreeted"},
        }}, "hello")
    name = arn.rsplit(":", 1)[1]
    page.goto(f"{server.endpoint_url}/console")
    page.click(f'a[data-start="{name}"]')
    editor = page.locator("#exec-input")
    editor.fill("{not json")
    page.wait_for_selector("#check .issues")
    assert page.is_disabled("#start")
    editor.fill(json.dumps({"who": "console"}))
    page.wait_for_selector("#valid")
    page.fill("#exec-name", "from-the-console")
    page.click("#start")
    page.wait_for_selector('#exec-status [data-status="RUNNING"]')
    page.wait_for_selector('#graph g[id="state-Pause"]')
    page.wait_for_selector('#exec-status [data-status="SUCCEEDED"]')
    page.wait_for_selector('#graph[data-execution-status="SUCCEEDED"]')
    succeeded = STATUS_COLOURS["succeeded"][0]
    assert [node_fill(page, s) for s in ("Prepare", "Greet", "Greeted", "Pause", "Done")] == [succeeded] * 5
    assert node_fill(page, "Oops") == STATUS_COLOURS["not reached"][0]
    page.click('#states tr[data-state="Greet"]')
    assert json.loads(page.inner_text("#state-output"))["greeting"] == {"ok": True, "greeting": "hello console"}
    assert page.locator('#history tr[data-type="ExecutionSucceeded"]').count() == 1
    # The console started it through StartExecution, like any client.
    sfn = server.client("stepfunctions")
    started = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [(e["name"], e["status"]) for e in started] == [("from-the-console", "SUCCEEDED")]
    assert json.loads(sfn.describe_execution(executionArn=started[0]["executionArn"])["input"]) == {"who": "console"}


def test_failed_execution_shows_the_failing_state_and_its_cause(server: LocalServerHandle, function: str,
                                                                page: Any) -> None:
    arn = machine(server, {
        "StartAt": "Greet",
        "States": {
            "Greet": greet_task(function, Next="Done",
                                Retry=[{"ErrorEquals": ["ValueError"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                                Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Reject"}]),
            "Done": {"Type": "Succeed"},
            "Reject": {"Type": "Fail", "Error": "BreedUnknown", "CausePath": "$.failure.Cause"},
        }}, "reject")
    sfn = server.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"who": "wolf", "fail": True}))
    page.goto(f"{server.endpoint_url}/console#/execution/{execution['executionArn']}")
    page.wait_for_selector('#exec-status [data-status="FAILED"]')
    page.wait_for_selector('#graph[data-execution-status="FAILED"]')
    failure = page.inner_text("#execution-failure")
    assert "BreedUnknown" in failure and "no breed called wolf" in failure
    # The failing state is selected and explained; the task that failed first was retried and caught.
    assert "Reject" in page.inner_text("#state-detail h2")
    assert "no breed called wolf" in page.inner_text("#state-error")
    assert node_fill(page, "Reject") == STATUS_COLOURS["failed"][0]
    assert node_fill(page, "Greet") == STATUS_COLOURS["caught"][0]
    assert node_fill(page, "Done") == STATUS_COLOURS["not reached"][0]
    assert "1 retry" in page.text_content('#graph g[id="state-Greet"]')
    greet_row = page.inner_text('#states tr[data-state="Greet"]')
    assert "caught" in greet_row and "ValueError" in greet_row


def test_stop_a_running_execution(server: LocalServerHandle, page: Any) -> None:
    arn = machine(server, {"StartAt": "Sleep", "States": {
        "Sleep": {"Type": "Wait", "Seconds": 3600, "Next": "Done"}, "Done": {"Type": "Succeed"}}}, "sleepy")
    sfn = server.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=arn, name="long-wait")
    page.goto(f"{server.endpoint_url}/console#/execution/{execution['executionArn']}")
    page.wait_for_selector('#graph[data-execution-status="RUNNING"] g[id="state-Sleep"]')
    assert node_fill(page, "Sleep") == STATUS_COLOURS["running"][0]
    page.click("#stop:not([disabled])")
    page.wait_for_selector('#exec-status [data-status="ABORTED"]')
    page.wait_for_selector('#graph[data-execution-status="ABORTED"]')
    assert node_fill(page, "Sleep") == STATUS_COLOURS["cancelled"][0]
    assert page.is_disabled("#stop")
    assert sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "ABORTED"


def test_executions_list_filters_by_status(server: LocalServerHandle, page: Any) -> None:
    arn = machine(server, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "listed")
    sfn = server.client("stepfunctions")
    sfn.start_execution(stateMachineArn=arn, name="quick-one")
    page.goto(f"{server.endpoint_url}/console#/?machine={arn}")
    row = page.wait_for_selector('#executions tr[data-execution="quick-one"] [data-status="SUCCEEDED"]')
    assert row is not None
    page.goto(f"{server.endpoint_url}/console#/?status=ABORTED")
    page.wait_for_selector("#list table, #list p")
    names = page.eval_on_selector_all("#executions tr[data-execution]", "rows => rows.map(r => r.dataset.execution)")
    assert "quick-one" not in names


FLAKY = '''
import os

def handler(event, context):
    if not os.path.exists(event["fixed"]):
        raise ValueError("not fixed yet")
    return {"ok": True, "greeting": "fixed"}
'''


def test_redrive_a_failed_execution_from_the_console(server: LocalServerHandle, page: Any, tmp_path: Any) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", FLAKY)
    name = f"flaky-{uuid.uuid4().hex[:6]}"
    server.client("lambda").create_function(FunctionName=name, Runtime="python3.11", Role=ROLE,
                                            Handler="app.handler", Code={"ZipFile": buffer.getvalue()}, Timeout=10)
    arn = machine(server, {"StartAt": "Before", "States": {
        "Before": {"Type": "Pass", "Next": "Greet"},
        "Greet": greet_task(name, End=True)}}, "redrive")
    sfn = server.client("stepfunctions")
    marker = tmp_path / "fixed"
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"fixed": str(marker)}))["executionArn"]
    page.goto(f"{server.endpoint_url}/console#/execution/{execution}")
    page.wait_for_selector('#graph[data-execution-status="FAILED"]')
    assert node_fill(page, "Greet") == STATUS_COLOURS["failed"][0]
    marker.touch()
    page.click("#redrive:not([disabled])")
    page.wait_for_selector('#exec-status [data-status="SUCCEEDED"]')
    page.wait_for_selector('#graph[data-execution-status="SUCCEEDED"]')
    assert node_fill(page, "Greet") == STATUS_COLOURS["succeeded"][0]
    assert "redriven" in page.text_content('#graph g[id="state-Greet"]')
    assert "redriven" not in page.text_content('#graph g[id="state-Before"]')
    assert "redriven" in page.inner_text('#states tr[data-state="Greet"]')
    assert page.inner_text("#redrives").startswith("1,")
    assert page.locator('#history tr[data-type="ExecutionRedriven"]').count() == 1
    assert page.is_disabled("#redrive")
    assert "SUCCEEDED" in page.get_attribute("#redrive", "title")
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["redriveCount"]) == ("SUCCEEDED", 1)
