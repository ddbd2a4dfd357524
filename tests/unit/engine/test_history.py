"""The event history: AWS event types, ids, links, detail shapes, quotas, stop and timeouts."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from workflow.engine import ExecutionContext, Interpreter, SystemClock, VirtualClock, parse_definition

from .helpers import run
from .shapes import shape_errors

PASS_END = {"Type": "Pass", "End": True}


def types(events: list[dict]) -> list[str]:
    return [event["type"] for event in events]


def assert_well_formed(events: list[dict]) -> None:
    assert [event["id"] for event in events] == list(range(1, len(events) + 1))
    for event in events:
        assert shape_errors(event) == [], event
        assert 0 <= event["previousEventId"] < event["id"]


def test_pass_choice_succeed_sequence_and_links() -> None:
    events: list[dict] = []
    definition = {"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "S"}]},
        "S": {"Type": "Succeed"}}}
    run(definition, {"go": True}, events=events)
    assert types(events) == ["ExecutionStarted", "PassStateEntered", "PassStateExited", "ChoiceStateEntered",
                             "ChoiceStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]
    # The first state does not link to ExecutionStarted, as in Step Functions histories.
    assert [e["previousEventId"] for e in events] == [0, 0, 2, 3, 4, 5, 6, 7]
    assert_well_formed(events)
    assert events[1]["stateEnteredEventDetails"] == {"name": "A", "input": '{"go":true}', "inputDetails": {"truncated": False}}
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == {"go": True}


def test_fail_state_events() -> None:
    events: list[dict] = []
    run({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}, events=events)
    assert types(events) == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert events[-1]["executionFailedEventDetails"] == {"error": "E", "cause": "C"}
    assert_well_formed(events)


def test_parallel_events_and_branch_links() -> None:
    events: list[dict] = []
    branches = [{"StartAt": name, "States": {name: PASS_END}} for name in ("B1", "B2")]
    run({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": branches}}}, events=events)
    assert types(events)[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    assert types(events)[-3:] == ["ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"]
    assert types(events).count("PassStateEntered") == 2
    started = events[2]["id"]
    entered = [e for e in events if e["type"] == "PassStateEntered"]
    assert all(e["previousEventId"] == started for e in entered), "each branch starts from ParallelStateStarted"
    assert_well_formed(events)


def test_map_events() -> None:
    events: list[dict] = []
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 1,
                                                  "ItemProcessor": {"StartAt": "I", "States": {"I": PASS_END}}}}}
    run(definition, ["a", "b"], events=events)
    assert types(events) == [
        "ExecutionStarted", "MapStateEntered", "MapStateStarted",
        "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
        "MapIterationStarted", "PassStateEntered", "PassStateExited", "MapIterationSucceeded",
        "MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]
    assert events[2]["mapStateStartedEventDetails"] == {"length": 2}
    assert events[7]["mapIterationStartedEventDetails"] == {"name": "M", "index": 1}
    assert_well_formed(events)


def test_map_failure_events() -> None:
    events: list[dict] = []
    definition = {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "MaxConcurrency": 1,
                                                  "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "X"}}}}}}
    result = run(definition, [1, 2], events=events)
    assert result.error == "X"
    assert types(events) == ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapIterationStarted",
                             "FailStateEntered", "MapIterationFailed", "MapStateFailed", "ExecutionFailed"]
    assert_well_formed(events)


def test_retry_waits_with_backoff_on_the_clock_and_catch_exits_the_state() -> None:
    events: list[dict] = []
    clock = VirtualClock()
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "c"}}}
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "H", "Branches": [failing],
              "Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 3, "MaxDelaySeconds": 10}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "H"}]},
        "H": PASS_END}}
    result = run(definition, {"k": 1}, events=events, clock=clock)
    assert result.output == {"k": 1, "error": {"Error": "Boom", "Cause": "c"}}
    assert clock.sleeps == [3, 6, 10]
    assert types(events).count("ParallelStateStarted") == 4
    assert types(events).count("ParallelStateFailed") == 4
    exited = [e for e in events if e["type"] == "ParallelStateExited"]
    assert len(exited) == 1 and json.loads(exited[0]["stateExitedEventDetails"]["output"])["error"]["Error"] == "Boom"
    assert_well_formed(events)


def test_retry_count_in_the_context_object() -> None:
    failing_once = {"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "F"}], "Default": "Ok"},
        "F": {"Type": "Fail", "Error": "Again"}, "Ok": PASS_END}}
    definition = {"StartAt": "P", "States": {"P": {
        "Type": "Parallel", "End": True, "Parameters": {"n.$": "$$.State.RetryCount"}, "Branches": [failing_once],
        "Retry": [{"ErrorEquals": ["Again"], "MaxAttempts": 2}]}}}
    assert run(definition).output == [{"n": 1}]


def test_wait_uses_the_clock_and_the_time_scale() -> None:
    clock = VirtualClock(start=datetime(2024, 3, 1, tzinfo=timezone.utc))
    events: list[dict] = []
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "Next": "U"},
                                             "U": {"Type": "Wait", "Timestamp": "2024-03-01T00:15:00Z", "End": True}}}
    run(definition, events=events, clock=clock, time_scale=60)
    # 600 s at time scale 60 is 10 s; the 890 s left until the timestamp are scaled too.
    assert clock.sleeps == [10.0, 890 / 60]


def test_history_quota_fails_the_execution_at_event_25000() -> None:
    events: list[dict] = []
    loop = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"},
                                       "Never": PASS_END}}
    loop["States"]["B"] = {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Never"}], "Default": "A"}
    result = run(loop, events=events)
    assert result.status == "FAILED" and result.error == "States.Runtime"
    assert len(events) == 25_000
    assert events[-1]["type"] == "ExecutionFailed" and events[-1]["id"] == 25_000


def test_context_object_fields() -> None:
    ctx = ExecutionContext(
        execution_arn="arn:aws:states:eu-west-1:111122223333:execution:sm:run-7", execution_name="run-7",
        state_machine_arn="arn:aws:states:eu-west-1:111122223333:stateMachine:sm", state_machine_name="sm",
        role_arn="arn:aws:iam::111122223333:role/r", start_time=datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=timezone.utc))
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {
        "id.$": "$$.Execution.Id", "name.$": "$$.Execution.Name", "start.$": "$$.Execution.StartTime",
        "input.$": "$$.Execution.Input", "role.$": "$$.Execution.RoleArn", "sm.$": "$$.StateMachine.Name",
        "state.$": "$$.State.Name", "entered.$": "$$.State.EnteredTime"}}}}
    clock = VirtualClock(start=datetime(2024, 5, 6, 7, 8, 10, tzinfo=timezone.utc))
    output = run(definition, {"x": 1}, ctx=ctx, clock=clock).output
    assert output == {"id": ctx.execution_arn, "name": "run-7", "start": "2024-05-06T07:08:09.123Z", "input": {"x": 1},
                      "role": ctx.role_arn, "sm": "sm", "state": "A", "entered": "2024-05-06T07:08:10.000Z"}


def test_stop_aborts_a_waiting_execution() -> None:
    events: list[dict] = []
    machine = parse_definition({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})
    handle = Interpreter(machine, client_factory=None, clock=SystemClock()).start({}, ExecutionContext.local(), events.append)
    deadline = time.monotonic() + 10
    while not any(e["type"] == "WaitStateEntered" for e in events) and time.monotonic() < deadline:
        time.sleep(0.01)
    handle.stop(error="Manual", cause="stopped by the operator")
    result = handle.wait(10)
    assert handle.done and result is not None
    assert (result.status, result.error, result.cause) == ("ABORTED", "Manual", "stopped by the operator")
    assert events[-1]["type"] == "ExecutionAborted"
    assert events[-1]["executionAbortedEventDetails"] == {"error": "Manual", "cause": "stopped by the operator"}
    assert_well_formed(events)


def test_execution_timeout_with_the_system_clock_and_time_scale() -> None:
    events: list[dict] = []
    definition = {"TimeoutSeconds": 60, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    result = run(definition, events=events, clock=SystemClock(), time_scale=600)
    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert events[-1]["type"] == "ExecutionTimedOut"


def test_state_output_over_256_kib_is_data_limit_exceeded() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True, "Parameters": {
        "big.$": "States.ArrayRange(1, 1000, 1)", "again.$": "$.text"}}}}
    result = run(definition, {"text": "x" * 262_000})
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_execution_input_over_256_kib_fails() -> None:
    result = run({"StartAt": "A", "States": {"A": PASS_END}}, {"text": "é" * 140_000})
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_data_limit_is_not_caught_by_states_all() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": True, "Parameters": {"a.$": "$.t", "b.$": "$.t"}}}}
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "H", "Branches": [branch], "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}]},
        "H": PASS_END}}
    assert run(definition, {"t": "y" * 200_000}).error == "States.DataLimitExceeded"


def test_stop_cancels_running_parallel_branches_and_map_iterations() -> None:
    events: list[dict] = []
    waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        waiting, {"StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
            "StartAt": "W2", "States": {"W2": {"Type": "Wait", "Seconds": 3600, "End": True}}}}}}]}}}
    machine = parse_definition(definition)
    handle = Interpreter(machine, client_factory=None, clock=SystemClock()).start([1, 2, 3], ExecutionContext.local(), events.append)
    deadline = time.monotonic() + 10
    while sum(e["type"] == "WaitStateEntered" for e in list(events)) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    handle.stop()
    result = handle.wait(10)
    assert result.status == "ABORTED" and time.monotonic() - started < 5
    assert events[-1]["type"] == "ExecutionAborted"
    assert_well_formed(events)
