"""RedriveExecution through boto3 and the AWS CLI against the real local server.

A run that failed at a late Task continues from there (the earlier Task's training job
is not started again), a Map reruns only its unsuccessful iterations, every execution
that cannot be redriven gets AWS's error, and DescribeExecution / ListExecutions show
the redrives.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle, start_local_server
from tests.integration.s3_helpers import Staging
from tests.integration.sfn_helpers import ROLE, create_machine, wait_definition, wait_done, wait_for_event
from tests.integration.test_execution_restart import history, training_state
from workflow.local.lambda_ import zip_directory
from workflow.local.server import STORE_FILE
from workflow.local.stepfunctions.journal import EXECUTION
from workflow.local.store import Store

TIME_SCALE = 10.0
AWS = [sys.executable, "-m", "awscli"]

BROKEN = "def handler(event, context):\n    raise RuntimeError('not yet: ' + str(event))\n"
FIXED = "def handler(event, context):\n    return {'checked': event}\n"
# Records each call in a folder; fails the items listed in the event until fixed.
ITEMS = '''
import json, os, time
import boto3

def handler(event, context):
    folder, item = event["folder"], event["item"]
    open(os.path.join(folder, f"call-{item}-{context.aws_request_id}"), "w").close()
    if item not in event["failing"] or os.path.exists(os.path.join(folder, "fixed")):
        return item * 10
    # Fail only once the other iterations have succeeded, both failing calls at once.
    sfn = boto3.client("stepfunctions")
    open(os.path.join(folder, f"failing-{item}"), "w").close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        events = sfn.get_execution_history(executionArn=event["execution"], maxResults=1000)["events"]
        succeeded = sum(e["type"] == "MapIterationSucceeded" for e in events)
        failing = [n for n in os.listdir(folder) if n.startswith("failing-")]
        if succeeded >= len(event["all"]) - len(event["failing"]) and len(failing) == len(event["failing"]):
            break
        time.sleep(0.05)
    raise ValueError(f"item {item} failed")
'''


def function(server: LocalServerHandle, tmp_path: Path, name: str, source: str) -> str:
    code = tmp_path / f"code-{uuid.uuid4().hex[:6]}"
    code.mkdir()
    (code / "app.py").write_text(source)
    return server.client("lambda").create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_directory(code)}, Timeout=90)["FunctionArn"]


def fix(server: LocalServerHandle, tmp_path: Path, name: str, source: str) -> None:
    code = tmp_path / f"code-{uuid.uuid4().hex[:6]}"
    code.mkdir()
    (code / "app.py").write_text(source)
    server.client("lambda").update_function_code(FunctionName=name, ZipFile=zip_directory(code))


def lambda_state(arn: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": arn, "Payload.$": "$"}, "ResultSelector": {"p.$": "$.Payload"},
            **fields}


def aws_cli(server: LocalServerHandle, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}
    return subprocess.run([*AWS, "stepfunctions", *args, "--endpoint-url", server.endpoint_url,
                           "--output", "json"], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def server(tmp_path: Path) -> Any:
    handle = start_local_server(tmp_path / "server", time_scale=TIME_SCALE)
    yield handle
    handle.stop()


def test_a_run_failed_at_a_late_task_redrives_from_there_without_training_again(
        server: LocalServerHandle, tmp_path: Path) -> None:
    sfn, sm = server.client("stepfunctions"), server.client("sagemaker")
    check = function(server, tmp_path, "late-check", BROKEN)
    definition = {"StartAt": "Train", "States": {
        "Train": {**training_state(Staging(server.endpoint_url, tmp_path), "early-train", seconds=0),
                  "ResultPath": "$.train",
                  "Next": "Check"},
        "Check": {**lambda_state(check, Parameters={"FunctionName": check, "Payload.$": "$.train"}),
                  "ResultPath": "$.check", "End": True}}}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, name="late", input="{}")["executionArn"]
    failed = wait_done(sfn, arn, timeout=120)
    assert (failed["status"], failed["error"]) == ("FAILED", "RuntimeError")
    assert failed["redriveStatus"] == "REDRIVABLE" and failed["redriveCount"] == 0
    jobs_before = sm.list_training_jobs()["TrainingJobSummaries"]
    assert [(j["TrainingJobName"], j["TrainingJobStatus"]) for j in jobs_before] == [("early-train", "Completed")]
    closed = len(history(sfn, arn))

    fix(server, tmp_path, "late-check", FIXED)
    redriven = sfn.redrive_execution(executionArn=arn)
    done = wait_done(sfn, arn, timeout=60)
    assert done["status"] == "SUCCEEDED", done
    checked = json.loads(done["output"])["check"]["p"]["checked"]
    assert checked["status"] == "Completed" and "train:loss" in checked["metrics"]
    assert done["redriveCount"] == 1 and done["redriveDate"] == redriven["redriveDate"]
    assert done["redriveStatus"] == "NOT_REDRIVABLE"
    assert done["redriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    # The earlier task's job was not started again.
    assert sm.list_training_jobs()["TrainingJobSummaries"] == jobs_before
    events = history(sfn, arn)
    types = [e["type"] for e in events]
    assert types[closed:] == ["ExecutionRedriven", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                              "TaskStateExited", "ExecutionSucceeded"]
    assert types.count("TaskSubmitted") == 1 and types.count("TaskStateEntered") == 2
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    assert all(0 <= e["previousEventId"] < e["id"] for e in events)
    assert events[closed]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    check_entered = [e for e in events if e["type"] == "TaskStateEntered"][1]
    assert events[closed + 1]["previousEventId"] == check_entered["id"]


def test_the_aws_cli_redrives_and_gets_the_errors_of_aws(server: LocalServerHandle, tmp_path: Path) -> None:
    sfn = server.client("stepfunctions")
    check = function(server, tmp_path, "cli-check", BROKEN)
    machine = create_machine(sfn, {"StartAt": "Before", "States": {
        "Before": {"Type": "Pass", "Result": 1, "ResultPath": "$.before", "Next": "Check"},
        "Check": {**lambda_state(check), "End": True}}})
    arn = sfn.start_execution(stateMachineArn=machine, name="cli", input='{"a": 1}')["executionArn"]
    assert wait_done(sfn, arn)["status"] == "FAILED"
    fix(server, tmp_path, "cli-check", FIXED)
    answer = aws_cli(server, "redrive-execution", "--execution-arn", arn, "--client-token", "cli-token-1")
    assert answer.returncode == 0, answer.stderr
    assert "redriveDate" in json.loads(answer.stdout)
    # The same token again answers the same, even while the redrive runs or once it ended.
    again = aws_cli(server, "redrive-execution", "--execution-arn", arn, "--client-token", "cli-token-1")
    assert again.returncode == 0 and json.loads(again.stdout) == json.loads(answer.stdout)
    assert wait_done(sfn, arn)["status"] == "SUCCEEDED"
    assert [e["type"] for e in history(sfn, arn)].count("PassStateEntered") == 1
    succeeded = aws_cli(server, "redrive-execution", "--execution-arn", arn)
    assert succeeded.returncode != 0
    assert "ExecutionNotRedrivable" in succeeded.stderr and "SUCCEEDED" in succeeded.stderr
    listed = aws_cli(server, "list-executions", "--state-machine-arn", machine, "--redrive-filter", "REDRIVEN")
    assert [e["name"] for e in json.loads(listed.stdout)["executions"]] == ["cli"]
    missing = aws_cli(server, "redrive-execution", "--execution-arn", arn.replace(":cli", ":never-ran"))
    assert "ExecutionDoesNotExist" in missing.stderr


def test_a_map_reruns_only_its_unsuccessful_iterations(server: LocalServerHandle, tmp_path: Path) -> None:
    sfn = server.client("stepfunctions")
    items = function(server, tmp_path, "items", ITEMS)
    calls = tmp_path / "calls"
    calls.mkdir()
    definition = {"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemSelector": {"item.$": "$$.Map.Item.Value", "all.$": "$.items", "failing.$": "$.failing",
                         "folder.$": "$.folder", "execution.$": "$$.Execution.Id"},
        "ItemProcessor": {"StartAt": "Call", "States": {"Call": {
            **lambda_state(items), "OutputPath": "$.p", "End": True}}}}}}
    document = {"items": [0, 1, 2, 3], "failing": [1, 3], "folder": str(calls)}
    arn = sfn.start_execution(stateMachineArn=create_machine(sfn, definition), name="map",
                              input=json.dumps(document))["executionArn"]
    failed = wait_done(sfn, arn, timeout=120)
    assert (failed["status"], failed["error"]) == ("FAILED", "ValueError")
    first = history(sfn, arn)
    succeeded = sorted(e["mapIterationSucceededEventDetails"]["index"] for e in first
                       if e["type"] == "MapIterationSucceeded")
    assert succeeded == [0, 2]
    assert 1 <= sum(e["type"] == "MapIterationFailed" for e in first) <= 2
    before = {name.split("-")[1] for name in os.listdir(calls) if name.startswith("call-")}
    assert before == {"0", "1", "2", "3"}

    (calls / "fixed").touch()
    for name in os.listdir(calls):
        (calls / name).unlink() if name.startswith("call-") else None
    sfn.redrive_execution(executionArn=arn)
    done = wait_done(sfn, arn, timeout=60)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [0, 10, 20, 30]
    rerun = sorted(name.split("-")[1] for name in os.listdir(calls) if name.startswith("call-"))
    assert rerun == ["1", "3"], "only the unsuccessful iterations run again"
    added = [e["type"] for e in history(sfn, arn)[len(first):]]
    assert added.count("MapIterationSucceeded") == 2 and "MapIterationStarted" not in added
    assert added[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_what_cannot_be_redriven_gets_aws_errors(server: LocalServerHandle, tmp_path: Path) -> None:
    sfn = server.client("stepfunctions")
    running_machine = create_machine(sfn, wait_definition(3600))
    running = sfn.start_execution(stateMachineArn=running_machine, name="running")["executionArn"]
    wait_for_event(sfn, running, "WaitStateEntered")
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable) as caught:
        sfn.redrive_execution(executionArn=running)
    assert "Execution is RUNNING and cannot be redriven" in str(caught.value)
    described = sfn.describe_execution(executionArn=running)
    assert (described["redriveStatus"], described["redriveStatusReason"]) == (
        "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven")
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.redrive_execution(executionArn=running.replace(":running", ":nobody"))
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.redrive_execution(executionArn="arn:aws:states:us-east-1:123456789012:stateMachine:x")

    # An aborted execution redrives; a deleted state machine's failed one does not.
    sfn.stop_execution(executionArn=running, error="Stopped", cause="by the test")
    assert sfn.describe_execution(executionArn=running)["redriveStatus"] == "REDRIVABLE"
    fail_machine = create_machine(sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
    failed = sfn.start_execution(stateMachineArn=fail_machine, name="failed")["executionArn"]
    assert wait_done(sfn, failed)["status"] == "FAILED"
    sfn.delete_state_machine(stateMachineArn=fail_machine)
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable) as caught:
        sfn.redrive_execution(executionArn=failed)
    assert "State machine is in DELETING status" in str(caught.value)

    # Client tokens: the same token answers the same; another one finds it RUNNING.
    first = sfn.redrive_execution(executionArn=running, clientToken="token-a")
    assert sfn.redrive_execution(executionArn=running, clientToken="token-a")["redriveDate"] == first["redriveDate"]
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=running, clientToken="token-b")
    redriven = sfn.describe_execution(executionArn=running)
    assert redriven["status"] == "RUNNING" and redriven["redriveCount"] == 1
    listed = sfn.list_executions(stateMachineArn=running_machine, redriveFilter="REDRIVEN")["executions"]
    assert [(e["name"], e["redriveCount"]) for e in listed] == [("running", 1)]
    assert sfn.list_executions(stateMachineArn=running_machine, redriveFilter="NOT_REDRIVEN")["executions"] == []
    sfn.stop_execution(executionArn=running)


def test_redrive_keeps_the_definition_the_execution_started_with(server: LocalServerHandle) -> None:
    sfn = server.client("stepfunctions")
    definition = {"StartAt": "Gate", "States": {
        "Gate": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Yes"}],
                 "Default": "No"},
        "Yes": {"Type": "Succeed"}, "No": {"Type": "Fail", "Error": "NotYet"}}}
    machine = create_machine(sfn, definition)
    arn = sfn.start_execution(stateMachineArn=machine, name="kept", input='{"go": false}')["executionArn"]
    assert wait_done(sfn, arn)["status"] == "FAILED"
    changed = {**definition, "States": {**definition["States"], "No": {"Type": "Succeed"}}}
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(changed))
    sfn.redrive_execution(executionArn=arn)
    # "Because redriven executions use the same state machine definition, you must start a
    # new execution if you update your state machine definition" (developer guide).
    done = wait_done(sfn, arn)
    assert (done["status"], done["error"], done["redriveCount"]) == ("FAILED", "NotYet", 1)


def test_a_timed_out_execution_redrives_with_a_fresh_timeout(server: LocalServerHandle) -> None:
    sfn = server.client("stepfunctions")
    machine = create_machine(sfn, {"StartAt": "W1", "TimeoutSeconds": 30, "States": {
        "W1": {"Type": "Wait", "Seconds": 20, "Next": "W2"}, "W2": {"Type": "Wait", "Seconds": 20, "End": True}}})
    arn = sfn.start_execution(stateMachineArn=machine, name="late")["executionArn"]
    assert wait_done(sfn, arn, timeout=30)["status"] == "TIMED_OUT"
    sfn.redrive_execution(executionArn=arn)
    done = wait_done(sfn, arn, timeout=30)
    assert done["status"] == "SUCCEEDED", done
    types = [e["type"] for e in history(sfn, arn)]
    assert types.count("WaitStateEntered") == 2 and types[-1] == "ExecutionSucceeded"


def test_the_redrivable_period_and_the_open_executions_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "server"
    monkeypatch.setenv("LOCAL_SFN_MAX_OPEN_EXECUTIONS", "1")
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        sfn = server.client("stepfunctions")
        fail = create_machine(sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}})
        old = sfn.start_execution(stateMachineArn=fail, name="old")["executionArn"]
        recent = sfn.start_execution(stateMachineArn=fail, name="recent")["executionArn"]
        assert wait_done(sfn, old)["status"] == wait_done(sfn, recent)["status"] == "FAILED"
        long = sfn.start_execution(stateMachineArn=create_machine(sfn, wait_definition(3600)))["executionArn"]
        with pytest.raises(sfn.exceptions.ExecutionLimitExceeded):
            sfn.redrive_execution(executionArn=recent)
        with pytest.raises(sfn.exceptions.ExecutionLimitExceeded):
            sfn.start_execution(stateMachineArn=fail)
        sfn.stop_execution(executionArn=long)
    finally:
        server.stop()
    # Fifteen days later (the store's clock moved back while the server was down).
    store = Store(data / STORE_FILE)
    store.update(EXECUTION, old, lambda doc: doc.update(stopDate=doc["stopDate"] - timedelta(days=15),
                                                       startDate=doc["startDate"] - timedelta(days=15)))
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        sfn = server.client("stepfunctions")
        with pytest.raises(sfn.exceptions.ExecutionNotRedrivable) as caught:
            sfn.redrive_execution(executionArn=old)
        assert "Execution redrivable period exceeded" in str(caught.value)
        assert sfn.describe_execution(executionArn=old)["redriveStatusReason"] == "Execution redrivable period exceeded"
        sfn.redrive_execution(executionArn=recent)
        assert wait_done(sfn, recent)["redriveCount"] == 1
    finally:
        server.stop()


def test_deploy_workflow_redrive_follows_the_redriven_run(server: LocalServerHandle, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    from workflow.cli.main import main

    sfn = server.client("stepfunctions")
    check = function(server, tmp_path, "cmd-check", BROKEN)
    machine = create_machine(sfn, {"StartAt": "Check", "States": {"Check": {**lambda_state(check), "End": True}}},
                             name="cmd-machine")
    arn = sfn.start_execution(stateMachineArn=machine, name="cmd", input="{}")["executionArn"]
    assert wait_done(sfn, arn)["status"] == "FAILED"
    target = ["--endpoint-url", server.endpoint_url, "--state-machine", "cmd-machine"]
    assert main(["describe", *target, "cmd"]) == 1
    assert "redrive it from where it failed: deploy_workflow.py redrive cmd" in capsys.readouterr().out
    fix(server, tmp_path, "cmd-check", FIXED)
    assert main(["redrive", *target, "cmd", "--wait"]) == 0
    out = capsys.readouterr().out
    assert f"redrove cmd on local server {server.endpoint_url}" in out and "(redrive 1)" in out
    assert "ExecutionRedriven" in out and "ExecutionSucceeded" in out and "execution succeeded" in out
    assert "TaskStateEntered" not in out, "only the events of the redrive are printed"
    assert main(["executions", *target, "--redriven"]) == 0
    assert "redriven 1x" in capsys.readouterr().out
    assert main(["redrive", *target, "cmd"]) == 1
    assert "ExecutionNotRedrivable: Execution is SUCCEEDED and cannot be redriven" in capsys.readouterr().err
