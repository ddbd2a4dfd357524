"""Executions survive the local server: SIGKILLed while a Wait or a training job runs,
restarted, each one ends SUCCEEDED with a history AWS could have written.

The state machines are small (a Wait, a `.sync` training job running a script that
sleeps a few seconds, a slow Lambda function) so that a crash can be placed inside
each state.
"""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import psutil

from tests.integration.conftest import start_local_server
from tests.integration.s3_helpers import Staging
from tests.integration.sfn_helpers import ROLE, create_machine, wait_done, wait_for_event
from tests.integration.test_training_jobs import SCRIPT, _child_pid, _gone, job_request, source_tar
from workflow.local.lambda_ import zip_directory

TIME_SCALE = 10.0


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=arn)
    return [event for page in pages for event in page["events"]]


def assert_well_formed(events: list[dict[str, Any]]) -> None:
    """Ids 1..n in order, each link pointing backwards, timestamps never going back, one
    terminal event at the end, and no state entered or exited twice without a loop."""
    types = [e["type"] for e in events]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1)), types
    assert all(0 <= e["previousEventId"] < e["id"] for e in events), types
    assert all(a["timestamp"] <= b["timestamp"] for a, b in zip(events, events[1:], strict=False)), types
    assert types[0] == "ExecutionStarted" and types[-1] == "ExecutionSucceeded", types
    assert sum(t.startswith("Execution") for t in types) == 2, types
    for kind, key in (("StateEntered", "stateEnteredEventDetails"), ("StateExited", "stateExitedEventDetails")):
        names = [e[key]["name"] for e in events if e["type"].endswith(kind)]
        assert len(names) == len(set(names)), (kind, names)


def training_state(staging: Staging, name: str, seconds: float, **fields: Any) -> dict[str, Any]:
    script = source_tar(staging.tmp / "src", {"entry.py": SCRIPT})
    parameters = job_request(name, staging, script, {"mode": '"sleep"', "seconds": str(seconds)})
    parameters.pop("TrainingJobName")
    return {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
            "Parameters": {**parameters, **fields.pop("parameters", {"TrainingJobName": name})},
            "ResultSelector": {"status.$": "$.TrainingJobStatus",
                               "metrics.$": "$.FinalMetricDataList[*].MetricName"},
            **fields}


def test_executions_resume_after_a_crash_in_a_wait_and_in_a_training_job(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        definition = {"StartAt": "Hold", "States": {
            "Hold": {"Type": "Wait", "Seconds": 30, "Next": "Train"},
            "Train": {**training_state(Staging(server.endpoint_url, tmp_path), "crash-train", seconds=5),
                      "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "trained", "ResultPath": "$.done", "End": True}}}
        sfn = server.client("stepfunctions")
        machine = create_machine(sfn, definition)
        arn = sfn.start_execution(stateMachineArn=machine, name="survivor", input='{"run": 1}')["executionArn"]
        wait_for_event(sfn, arn, "WaitStateEntered")
    finally:
        server.kill()  # SIGKILL: nothing cleaned up, nothing written
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        sfn = server.client("stepfunctions")
        assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        wait_for_event(sfn, arn, "TaskSubmitted", timeout=60)
        grandchild = _child_pid(server, "crash-train")
        script = psutil.Process(grandchild).ppid()
    finally:
        server.kill()
    assert psutil.pid_exists(script) and not _gone(script, timeout=0.5), "the training script outlives the crash"
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        sfn, sm = server.client("stepfunctions"), server.client("sagemaker")
        done = wait_done(sfn, arn, timeout=120)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"])["done"] == "trained"
        events = history(sfn, arn)
        assert_well_formed(events)
        types = [e["type"] for e in events]
        assert types == ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "TaskStateEntered",
                         "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited",
                         "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]
        # The wait went on for the time it had left: it did not start over, nor end early.
        waited = (events[2]["timestamp"] - events[1]["timestamp"]).total_seconds()
        assert waited >= 30 / TIME_SCALE
        # The job the task waited for is the one it started: no second job, the same script.
        jobs = sm.list_training_jobs()["TrainingJobSummaries"]
        assert [(j["TrainingJobName"], j["TrainingJobStatus"]) for j in jobs] == [("crash-train", "Completed")]
        assert json.loads(events[7]["taskSucceededEventDetails"]["output"])["TrainingJobStatus"] == "Completed"
        assert _gone(grandchild)
    finally:
        server.stop()


def test_a_job_whose_process_died_with_the_server_is_run_again_by_the_tasks_retry(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        definition = {"StartAt": "Train", "States": {"Train": {
            **training_state(Staging(server.endpoint_url, tmp_path), "", seconds=2, parameters={
                "TrainingJobName.$": "States.Format('attempt-{}', $$.State.RetryCount)"}),
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 1}],
            "End": True}}}
        sfn = server.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=create_machine(sfn, definition), name="retried")["executionArn"]
        wait_for_event(sfn, arn, "TaskSubmitted", timeout=60)
        script = psutil.Process(_child_pid(server, "attempt-0")).ppid()
    finally:
        server.kill()
    os.killpg(psutil.Process(script).ppid(), signal.SIGKILL)  # the job's whole process group dies too
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        sfn, sm = server.client("stepfunctions"), server.client("sagemaker")
        done = wait_done(sfn, arn, timeout=120)
        assert done["status"] == "SUCCEEDED", done
        first = sm.describe_training_job(TrainingJobName="attempt-0")
        assert first["TrainingJobStatus"] == "Failed"
        assert "local server stopped" in first["FailureReason"]
        assert sm.describe_training_job(TrainingJobName="attempt-1")["TrainingJobStatus"] == "Completed"
        events = history(sfn, arn)
        assert_well_formed(events)
        types = [e["type"] for e in events]
        assert types.count("TaskSubmitted") == 2 and types.count("TaskFailed") == 1
        failed = next(e for e in events if e["type"] == "TaskFailed")["taskFailedEventDetails"]
        assert failed["error"] == "States.TaskFailed" and "did not survive" in failed["cause"]
    finally:
        server.stop()


SLOW = "import time\ndef handler(event, context):\n    time.sleep(event.get('seconds', 0))\n    return {'slept': event.get('seconds', 0)}\n"


def test_a_lambda_call_cut_off_by_a_crash_is_redispatched_by_the_tasks_retry(tmp_path: Path) -> None:
    data = tmp_path / "server"
    server = start_local_server(data, time_scale=TIME_SCALE)
    code = tmp_path / "slow"
    code.mkdir()
    (code / "app.py").write_text(SLOW)
    try:
        lam, sfn = server.client("lambda"), server.client("stepfunctions")
        function = lam.create_function(FunctionName="slow", Runtime="python3.11", Role=ROLE,
                                       Handler="app.handler", Code={"ZipFile": zip_directory(code)},
                                       Timeout=30)["FunctionArn"]
        definition = {"StartAt": "Call", "States": {"Call": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload": {"seconds.$": "$.seconds"}},
            "ResultSelector": {"slept.$": "$.Payload.slept"},
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}],
            "End": True}}}
        arn = sfn.start_execution(stateMachineArn=create_machine(sfn, definition), name="in-flight",
                                  input='{"seconds": 2}')["executionArn"]
        wait_for_event(sfn, arn, "TaskStarted")
        time.sleep(0.5)  # the function is running now
    finally:
        server.kill()
    server = start_local_server(data, time_scale=TIME_SCALE)
    try:
        sfn = server.client("stepfunctions")
        done = wait_done(sfn, arn, timeout=60)
        assert done["status"] == "SUCCEEDED", done
        assert json.loads(done["output"]) == {"slept": 2}
        events = history(sfn, arn)
        assert_well_formed(events)
        types = [e["type"] for e in events]
        assert types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
                         "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
        failed = events[4]["taskFailedEventDetails"]
        assert failed["error"] == "States.TaskFailed" and "interrupted" in failed["cause"]
    finally:
        server.stop()
