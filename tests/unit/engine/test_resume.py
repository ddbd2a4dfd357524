"""Resuming an execution from its journal after its host stopped at any event.

Each test runs an execution whose journal "crashes" right after a chosen event (nothing
later is kept), resumes it with a fresh interpreter from what the journal kept, and
checks the outcome and the joined history: ids in order, links backwards, no event
written twice, and the same event sequence an uninterrupted run writes.
"""
from __future__ import annotations

import json
import random
import time
from typing import Any

from botocore.stub import Stubber

from workflow.engine import VirtualClock
from workflow.engine.errors import ExecutionStopped

from .journal import MemoryJournal, after, context, interpreter
from .shapes import shape_errors
from .test_integrations import client, payload

PASS = {"Type": "Pass"}


def types(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def assert_well_formed(events: list[dict]) -> None:
    assert [event["id"] for event in events] == list(range(1, len(events) + 1)), types(events)
    for event in events:
        assert shape_errors(event) == [], event
        assert 0 <= event["previousEventId"] < event["id"], event


def crash_and_resume(definition: dict, input: Any, crash_after, *, clock: VirtualClock | None = None,
                     factory=None, pause: float = 0.0):
    """Run until the crash, let ``pause`` seconds go by, resume; (result, journal)."""
    clock = clock or VirtualClock()
    journal = MemoryJournal(crash_after)
    first = interpreter(definition, clock=clock, client_factory=factory, rng=random.Random(1))
    try:
        # What the first run does after the crash stays in its memory: it is not looked at.
        first.start(input, context(), journal=journal).wait(10)
    except ExecutionStopped:
        pass  # the host stopped right after writing ExecutionStarted
    assert journal.dead, "the crash point was never reached"
    clock.advance(pause)
    journal.restart()
    second = interpreter(definition, clock=clock, client_factory=factory, rng=random.Random(1))
    result = second.resume(journal.snapshot(input), context(), journal).wait(10)
    assert_well_formed(journal.events)
    return result, journal


def uninterrupted(definition: dict, input: Any, factory=None) -> list[str]:
    journal = MemoryJournal()
    interpreter(definition, clock=VirtualClock(), client_factory=factory,
                rng=random.Random(1)).start(input, context(), journal=journal).wait(10)
    return types(journal.events)


WAIT = {"StartAt": "A", "States": {
    "A": {**PASS, "Next": "W"}, "W": {"Type": "Wait", "Seconds": 10, "Next": "B"},
    "B": {**PASS, "Result": "done", "End": True}}}


def test_a_wait_resumes_with_the_time_left() -> None:
    clock = VirtualClock()
    result, journal = crash_and_resume(WAIT, {"x": 1}, after("WaitStateEntered"), clock=clock, pause=4)
    assert result.status == "SUCCEEDED" and result.output == "done"
    assert types(journal.events) == uninterrupted(WAIT, {"x": 1})
    # The first run's sleep was cut by the crash; the resumed one waits what was left.
    assert clock.sleeps[-1] == 6


def test_every_crash_point_of_a_simple_flow_resumes_without_repeating_an_event() -> None:
    expected = uninterrupted(WAIT, {})
    for index, event_type in enumerate(expected[:-1]):
        nth = expected[:index + 1].count(event_type)
        result, journal = crash_and_resume(WAIT, {}, after(event_type, nth))
        assert result.status == "SUCCEEDED", (event_type, result)
        assert types(journal.events) == expected, event_type


def lambda_task(**fields: Any) -> dict:
    return {"StartAt": "Before", "States": {
        "Before": {**PASS, "Next": "T"},
        "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "fn", "Payload.$": "$"}, "End": True, **fields}}}


def lambda_client(answers: int) -> Any:
    lam = client("lambda")
    lam.stubber = Stubber(lam)
    for _ in range(answers):
        lam.stubber.add_response("invoke", {"StatusCode": 200, "Payload": payload({"ok": True})})
    lam.stubber.activate()
    return lam


def test_an_interrupted_lambda_call_is_redispatched_by_the_tasks_retry() -> None:
    lam = lambda_client(1)
    definition = lambda_task(Retry=[{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "MaxAttempts": 1}])
    # The crash comes before the call: the first run never reaches the service.
    result, journal = crash_and_resume(definition, {"a": 1}, after("TaskStarted"), factory=lambda _: lam)
    lam.stubber.assert_no_pending_responses()
    assert result.status == "SUCCEEDED" and result.output["Payload"] == {"ok": True}
    assert types(journal.events) == [
        "ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskStateEntered", "TaskScheduled",
        "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
        "ExecutionSucceeded"]
    failed = journal.events[6]["taskFailedEventDetails"]
    assert failed["error"] == "States.TaskFailed" and "interrupted" in failed["cause"]
    assert journal.events[6]["previousEventId"] == journal.events[5]["id"]


def test_an_interrupted_lambda_call_without_retry_fails_with_task_failed() -> None:
    result, journal = crash_and_resume(lambda_task(), {}, after("TaskStarted"), factory=lambda _: lambda_client(0))
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    assert "was in flight" in result.cause
    assert types(journal.events)[-2:] == ["TaskFailed", "ExecutionFailed"]


def test_a_retry_keeps_counting_the_attempts_made_before_the_restart() -> None:
    lam = client("lambda")
    lam.stubber = Stubber(lam)
    for _ in range(2):
        lam.stubber.add_client_error("invoke", "ServiceException", http_status_code=500)
    lam.stubber.activate()
    definition = lambda_task(Retry=[{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 1,
                                     "MaxAttempts": 1}])
    # After the second failure the one retry is used up: resumed, it must not retry again
    # (a third call would find no answer stubbed).
    result, journal = crash_and_resume(definition, {}, after("TaskFailed", 2), factory=lambda _: lam)
    lam.stubber.assert_no_pending_responses()
    assert (result.status, result.error) == ("FAILED", "Lambda.ServiceException")
    assert types(journal.events).count("TaskFailed") == 2


SYNC = {"StartAt": "Train", "States": {"Train": {
    "Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
    "Parameters": {"TrainingJobName": "job-1", "AlgorithmSpecification": {"TrainingInputMode": "File",
                                                                          "TrainingImage": "img"},
                   "RoleArn": "arn:aws:iam::123456789012:role/r", "OutputDataConfig": {"S3OutputPath": "s3://b/o"},
                   "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                   "StoppingCondition": {"MaxRuntimeInSeconds": 60}},
    "ResultSelector": {"status.$": "$.TrainingJobStatus"}, "End": True}}}


def describe(status: str) -> dict:
    return {"TrainingJobName": "job-1", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job-1",
            "TrainingJobStatus": status, "SecondaryStatus": status, "CreationTime": "2024-01-01T00:00:00Z",
            "AlgorithmSpecification": {"TrainingInputMode": "File"}, "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 60}}


def test_a_sync_task_waits_for_the_job_it_submitted_before_the_restart() -> None:
    sm = client("sagemaker")
    sm.stubber = Stubber(sm)
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/job-1"})
    # Resumed: no second CreateTrainingJob, and no StopTrainingJob for the crash.
    sm.stubber.add_response("describe_training_job", describe("InProgress"), {"TrainingJobName": "job-1"})
    sm.stubber.add_response("describe_training_job", describe("Completed"), {"TrainingJobName": "job-1"})
    sm.stubber.activate()
    result, journal = crash_and_resume(SYNC, {}, after("TaskSubmitted"), factory=lambda _: sm)
    sm.stubber.assert_no_pending_responses()
    assert result.status == "SUCCEEDED" and result.output == {"status": "Completed"}
    assert types(journal.events) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                     "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]


def test_a_result_recorded_before_the_restart_is_not_asked_for_again() -> None:
    result, journal = crash_and_resume(lambda_task(ResultSelector={"p.$": "$.Payload"}), {}, after("TaskSucceeded"),
                                       factory=lambda _: lambda_client(1))
    assert result.status == "SUCCEEDED" and result.output == {"p": {"ok": True}}
    assert types(journal.events).count("TaskSucceeded") == 1


MAP = {"StartAt": "M", "States": {"M": {
    "Type": "Map", "MaxConcurrency": 1, "ItemsPath": "$.items", "End": True,
    "ItemProcessor": {"StartAt": "Double", "States": {
        "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "Next": "Hold"},
        "Hold": {"Type": "Wait", "Seconds": 1, "End": True}}}}}}


def test_a_map_resumes_only_the_iterations_that_had_not_ended() -> None:
    items = {"items": [1, 2, 3, 4]}
    result, journal = crash_and_resume(MAP, items, after("MapIterationSucceeded", 2))
    assert result.status == "SUCCEEDED"
    assert result.output == [{"v": 2}, {"v": 4}, {"v": 6}, {"v": 8}]
    assert types(journal.events) == uninterrupted(MAP, items)
    started = [e["mapIterationStartedEventDetails"]["index"] for e in journal.events if e["type"] == "MapIterationStarted"]
    assert started == [0, 1, 2, 3]


def test_a_map_iteration_stopped_in_its_wait_goes_on_in_its_own_lane() -> None:
    items = {"items": [1, 2]}
    result, journal = crash_and_resume(MAP, items, after("WaitStateEntered", 2))
    assert result.status == "SUCCEEDED" and result.output == [{"v": 2}, {"v": 4}]
    assert types(journal.events) == uninterrupted(MAP, items)
    exited = next(e for e in reversed(journal.events) if e["type"] == "WaitStateExited")
    entered = next(e for e in reversed(journal.events) if e["type"] == "WaitStateEntered")
    assert exited["previousEventId"] == entered["id"]


PARALLEL = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "W1", "States": {"W1": {"Type": "Wait", "Seconds": 5, "Next": "R1"}, "R1": {**PASS, "Result": 1, "End": True}}},
    {"StartAt": "R2", "States": {"R2": {**PASS, "Result": 2, "End": True}}}]}}}


def test_a_parallel_state_resumes_its_unfinished_branch_only() -> None:
    result, journal = crash_and_resume(PARALLEL, {}, after("WaitStateEntered"), pause=2)
    assert result.status == "SUCCEEDED" and result.output == [1, 2]
    assert sorted(types(journal.events)) == sorted(uninterrupted(PARALLEL, {}))


def test_a_callback_task_waits_for_its_token_again() -> None:
    sqs = client("sqs")
    sqs.stubber = Stubber(sqs)
    sqs.stubber.add_response("send_message", {"MessageId": "m", "MD5OfMessageBody": "x"})
    sqs.stubber.activate()
    definition = {"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage.waitForTaskToken",
        "Parameters": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "MessageBody.$": "$$.Task.Token"},
        "End": True}}}
    journal = MemoryJournal()
    first = interpreter(definition, clock=VirtualClock(), client_factory=lambda _: sqs, rng=random.Random(1))
    handle = first.start({}, context(), journal=journal)
    # The host stops once the token is out (the record-only save after the call), unanswered.
    until(lambda: journal.lanes.get("", {}).get("step") == "CALLBACK")
    token = journal.lanes[""]["token"]
    handle.suspend()
    assert handle.wait(5).status == "SUSPENDED"
    journal.restart()
    second = interpreter(definition, clock=VirtualClock(), client_factory=lambda _: sqs, rng=random.Random(1))
    resumed = second.resume(journal.snapshot({}), context(), journal)
    resumed.send_task_success(token, {"approved": True})
    result = resumed.wait(10)
    assert result.status == "SUCCEEDED" and result.output == {"approved": True}
    sqs.stubber.assert_no_pending_responses()
    assert types(journal.events) == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                     "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    assert_well_formed(journal.events)


def test_the_execution_timeout_counts_from_the_start_across_a_restart() -> None:
    definition = {**WAIT, "TimeoutSeconds": 12}
    clock = VirtualClock()
    result, journal = crash_and_resume(definition, {}, after("WaitStateEntered"), clock=clock, pause=20)
    assert result.status == "TIMED_OUT"
    assert types(journal.events)[-1] == "ExecutionTimedOut"


def test_a_suspended_execution_writes_nothing_and_stops_nothing() -> None:
    sm = client("sagemaker")
    sm.stubber = Stubber(sm)
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:1:training-job/job-1"})
    for _ in range(1000):
        sm.stubber.add_response("describe_training_job", describe("InProgress"))
    sm.stubber.activate()
    journal = MemoryJournal()
    handle = interpreter(SYNC, client_factory=lambda _: sm, poll_interval=0.01).start({}, context(), journal=journal)
    until(lambda: "TaskSubmitted" in types(journal.events))
    handle.suspend()
    assert handle.wait(5).status == "SUSPENDED"
    count = len(journal.events)
    assert types(journal.events)[-1] == "TaskSubmitted" and journal.lanes[""]["job"] == "job-1"
    # A StopTrainingJob would find no stubbed answer: the job was left running.
    assert json.dumps(journal.lanes[""]["step"]) == '"JOB"'
    assert len(journal.events) == count


VARIABLES = {"StartAt": "Set", "States": {
    "Set": {"Type": "Pass", "Assign": {"seen.$": "$.x"}, "Next": "W"},
    "W": {"Type": "Wait", "Seconds": 5, "Next": "Each"},
    "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "End": True,
             "ItemProcessor": {"StartAt": "Mine", "States": {
                 "Mine": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Hold"},
                 "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Use"},
                 "Use": {"Type": "Pass", "Parameters": {"seen.$": "$seen", "mine.$": "$mine"}, "End": True}}}}}}


def test_assigned_variables_come_back_with_their_lanes() -> None:
    document = {"x": "outer", "items": [1, 2]}
    expected = [{"seen": "outer", "mine": 1}, {"seen": "outer", "mine": 2}]
    # In the main flow (the Wait after Set), and inside an iteration (its own Wait).
    for crash in (after("WaitStateEntered", 1), after("WaitStateEntered", 2)):
        result, journal = crash_and_resume(VARIABLES, document, crash)
        assert result.status == "SUCCEEDED", result
        assert result.output == expected
        assert types(journal.events) == uninterrupted(VARIABLES, document)
