"""Redriving a closed execution: from its unsuccessful states, with the same input.

Each test runs an execution to its (unsuccessful) end with a journal, then redrives it
from what the journal kept with a fresh interpreter, as RedriveExecution does: the
history grows by ExecutionRedriven and what is rerun, nothing that succeeded runs again.
"""
from __future__ import annotations

import io
import json
import random
import threading
import time
from typing import Any

from botocore.response import StreamingBody

from workflow.engine import LaneRecord, Step, VirtualClock
from workflow.engine.redrive import redriven_lanes

from .journal import MemoryJournal, context, interpreter
from .test_resume import assert_well_formed, types


class FlakyFunction:
    """A Lambda function's answers, per item: AWS stand-in that fails the items in ``failing``.

    With ``hold``, the failing items answer only once ``hold`` is set.
    """

    def __init__(self, failing: set[int], hold: threading.Event | None = None) -> None:
        self.failing = failing
        self.hold = hold
        self.calls: list[int] = []
        self.failed = 0
        self._lock = threading.Lock()

    def invoke(self, FunctionName: str, Payload: bytes = b"null", **_: Any) -> dict:  # noqa: N803 (boto3's names)
        item = json.loads(Payload)["item"]
        with self._lock:
            self.calls.append(item)
        if item in self.failing:
            if self.hold is not None:
                self.hold.wait(10)
            with self._lock:
                self.failed += 1
            body = json.dumps({"errorType": "ItemError", "errorMessage": f"item {item}"}).encode()
            return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": StreamingBody(io.BytesIO(body), len(body))}
        body = json.dumps(item * 10).encode()
        return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}


class OrderingJournal(MemoryJournal):
    """Lets the failing iterations of a Map answer once the others succeeded, and holds the
    first failure until the second failing call has answered too, so that both iterations
    fail rather than one failing and the other being aborted."""

    def __init__(self, function: FlakyFunction, release_after: str, succeeded: int, failures: int) -> None:
        super().__init__()
        self.function, self.release_after, self.succeeded = function, release_after, succeeded
        self.failures = failures

    def write(self, event: dict | None, path: str | None, record: dict[str, Any] | None) -> None:
        super().write(event, path, record)
        if event is None:
            return
        if types(self.events).count(self.release_after) == self.succeeded:
            self.function.hold.set()
        if self.failures > 1 and event["type"] == "TaskFailed" and types(self.events).count("TaskFailed") == 1:
            deadline = time.monotonic() + 10
            while self.function.failed < self.failures and time.monotonic() < deadline:
                time.sleep(0.01)
            # The other failing call has answered: give its thread the moment it needs to
            # raise its failure (it then waits for the history's lock, held here).
            time.sleep(0.2)


def run_then_redrive(definition: dict, input: Any, first: FlakyFunction, second: FlakyFunction,
                     clock: VirtualClock | None = None, journal: MemoryJournal | None = None):
    clock = clock or VirtualClock()
    journal = journal or MemoryJournal()
    handle = interpreter(definition, clock=clock, client_factory=lambda _: first,
                         rng=random.Random(3)).start(input, context(), journal=journal)
    original = handle.wait(10)
    assert original.status != "SUCCEEDED"
    closed = len(journal.events)
    redriven = interpreter(definition, clock=clock, client_factory=lambda _: second, rng=random.Random(3))
    result = redriven.resume(journal.snapshot(input, redrive=True, timeout_from=clock.now()), context(1),
                             journal).wait(10)
    assert_well_formed(journal.events)
    return original, result, journal, closed


def task(name: str, nxt: str | None = None, **fields: Any) -> dict:
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": "fn", "Payload": {"item.$": "$.item", **fields.pop("extra", {})}},
             "ResultSelector": {"value.$": "$.Payload"}, **fields}
    return {name: {**state, **({"Next": nxt} if nxt else {"End": True})}}


def test_a_failed_task_is_rescheduled_and_what_succeeded_before_it_is_not_rerun() -> None:
    definition = {"StartAt": "First", "States": {
        **task("First", "Second", ResultPath="$.first", Parameters={"FunctionName": "fn", "Payload": {"item": 1}}),
        **task("Second", extra={"redrives.$": "$$.Execution.RedriveCount"}, ResultPath="$.second")}}
    first, second = FlakyFunction({4}), FlakyFunction(set())
    original, result, journal, closed = run_then_redrive(definition, {"item": 4}, first, second)
    assert (original.status, original.error) == ("FAILED", "ItemError")
    assert result.status == "SUCCEEDED"
    assert result.output == {"item": 4, "first": {"value": 10}, "second": {"value": 40}}
    assert first.calls == [1, 4] and second.calls == [4]
    added = journal.events[closed:]
    assert types(added) == ["ExecutionRedriven", "TaskScheduled", "TaskStarted", "TaskSucceeded",
                            "TaskStateExited", "ExecutionSucceeded"]
    assert added[0]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert added[0]["previousEventId"] == closed
    entered = [e for e in journal.events if e["type"] == "TaskStateEntered"]
    assert len(entered) == 2, "the redriven state is not entered again"
    assert added[1]["previousEventId"] == entered[1]["id"]
    scheduled = json.loads(added[1]["taskScheduledEventDetails"]["parameters"])
    assert scheduled["Payload"]["redrives"] == 1


MAP = {"StartAt": "Each", "States": {"Each": {
    "Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"item.$": "$$.Map.Item.Value"}, "End": True,
    "ItemProcessor": {"StartAt": "Call", "States": task("Call")}}}}


def test_a_map_reruns_only_its_failed_iterations() -> None:
    first, second = FlakyFunction({1, 3}, hold=threading.Event()), FlakyFunction(set())
    journal = OrderingJournal(first, "MapIterationSucceeded", succeeded=2, failures=2)
    original, result, journal, closed = run_then_redrive(MAP, {"items": [0, 1, 2, 3]}, first, second,
                                                         journal=journal)
    assert original.status == "FAILED" and original.error == "ItemError"
    first_run = journal.events[:closed]
    assert sorted(e["mapIterationSucceededEventDetails"]["index"] for e in first_run
                  if e["type"] == "MapIterationSucceeded") == [0, 2]
    failed = [e["mapIterationFailedEventDetails"]["index"] for e in first_run if e["type"] == "MapIterationFailed"]
    # The journal lets both failing calls answer before the first failure is written, but
    # a loaded machine may still let the Map's failure abort the second one: both are
    # unsuccessful, and a redrive reruns both.
    aborted = [e["mapIterationAbortedEventDetails"]["index"] for e in first_run
               if e["type"] == "MapIterationAborted"]
    assert failed and sorted(failed + aborted) == [1, 3]
    assert sorted(second.calls) == [1, 3]
    assert result.status == "SUCCEEDED"
    assert result.output == [{"value": 0}, {"value": 10}, {"value": 20}, {"value": 30}]
    added = journal.events[closed:]
    assert "MapStateStarted" not in types(added) and "MapIterationStarted" not in types(added)
    assert sorted(e["mapIterationSucceededEventDetails"]["index"] for e in added
                  if e["type"] == "MapIterationSucceeded") == [1, 3]
    assert types(added)[-3:] == ["MapStateSucceeded", "MapStateExited", "ExecutionSucceeded"]


def test_a_parallel_state_reruns_only_its_failed_branch() -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "A", "States": task("A", Parameters={"FunctionName": "fn", "Payload": {"item": 1}})},
        {"StartAt": "B", "States": task("B", Parameters={"FunctionName": "fn", "Payload": {"item": 2}})}]}}}
    first, second = FlakyFunction({2}, hold=threading.Event()), FlakyFunction(set())
    journal = OrderingJournal(first, "TaskStateExited", succeeded=1, failures=1)
    original, result, journal, closed = run_then_redrive(definition, {}, first, second, journal=journal)
    assert original.status == "FAILED"
    assert second.calls == [2]
    assert result.status == "SUCCEEDED" and result.output == [{"value": 10}, {"value": 20}]


def test_a_run_that_ended_in_a_fail_state_fails_there_again() -> None:
    definition = {"StartAt": "Call", "States": {
        **task("Call", "Done", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Broken"}]),
        "Done": {"Type": "Succeed"},
        "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "caught, then failed"}}}
    first, second = FlakyFunction({5}), FlakyFunction(set())
    original, result, journal, closed = run_then_redrive(definition, {"item": 5}, first, second)
    assert original.error == result.error == "Broken"
    assert second.calls == []
    assert types(journal.events[closed:]) == ["ExecutionRedriven", "ExecutionFailed"]


def test_an_aborted_wait_waits_again_in_full() -> None:
    definition = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 30, "End": True}}}
    clock = VirtualClock()
    journal = MemoryJournal()
    engine = interpreter(definition, clock=clock)
    handle = engine.start({}, context(), journal=journal)
    handle.stop(error="Stopped", cause="by hand")
    assert handle.wait(5).status in ("ABORTED", "SUCCEEDED")
    if types(journal.events)[-1] != "ExecutionAborted":
        return  # the virtual wait was over before the stop: nothing to redrive
    redriven = interpreter(definition, clock=clock).resume(journal.snapshot({}, redrive=True), context(1), journal)
    assert redriven.wait(5).status == "SUCCEEDED"
    assert clock.sleeps[-1] == 30


def test_the_execution_timeout_starts_again_with_a_redrive() -> None:
    definition = {"StartAt": "W", "TimeoutSeconds": 10, "States": {
        "W": {"Type": "Wait", "Seconds": 8, "Next": "W2"}, "W2": {"Type": "Wait", "Seconds": 8, "End": True}}}
    clock = VirtualClock()
    journal = MemoryJournal()
    assert interpreter(definition, clock=clock).start({}, context(), journal=journal).wait(5).status == "TIMED_OUT"
    # Redriven, W2 (where it timed out) runs again within a fresh 10 seconds.
    snapshot = journal.snapshot({}, redrive=True, timeout_from=clock.now())
    result = interpreter(definition, clock=clock).resume(snapshot, context(1), journal).wait(5)
    assert result.status == "SUCCEEDED"
    assert types(journal.events).count("WaitStateEntered") == 2


def test_lanes_a_redrive_starts_from() -> None:
    done = LaneRecord(state=None, step=Step.DONE, output=1)
    failed_task = LaneRecord(state="T", step=Step.RETRY, entered_event=7, last_event=9, attempts=[2],
                             error="E", cause="C", job="j")
    failed_map = LaneRecord(state="M", step=Step.RETRY, entered_event=3, fan_out=4, error="ItemError")
    too_big = LaneRecord(state="M", step=Step.RETRY, entered_event=3, fan_out=4, error="States.DataLimitExceeded")
    lanes = redriven_lanes({"": failed_map, "/4.0": done, "/4.1": failed_task, "/9.0": too_big})
    assert lanes["/4.0"] is done
    assert (lanes["/4.1"].step, lanes["/4.1"].last_event, lanes["/4.1"].attempts, lanes["/4.1"].job) == (
        Step.WORK, 7, [], None)
    assert (lanes[""].step, lanes[""].fan_out, lanes[""].error) == (Step.FAN_OUT, 4, None)
    assert (lanes["/9.0"].step, lanes["/9.0"].fan_out) == (Step.WORK, 0)
    assert failed_task.step is Step.RETRY, "the originals are left as they are"
