"""Per-state status from AWS-shaped execution histories (tests/events/graph_history_*.json)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from workflow.graph import execution_status
from workflow.graph.status import CAUGHT, FAILED, NOT_REACHED, RUNNING, SUCCEEDED

EVENTS = Path(__file__).resolve().parent.parent / "events"


def load(name: str) -> list[dict]:
    return json.loads((EVENTS / name).read_text())


def test_retries_then_caught_failure() -> None:
    status = execution_status(load("graph_history_retry_caught.json"))
    assert status.status == "SUCCEEDED"
    fetch = status.of("Fetch")
    assert (fetch.status, fetch.retries, fetch.visits) == (CAUGHT, 2, 1)
    assert fetch.error == "Lambda.ServiceException" and "Service unavailable" in fetch.cause
    assert fetch.duration_s == pytest.approx(10.5)  # entered at 1.5 s, exited at 12.0 s
    assert {n: status.of(n).status for n in ("Init", "Recover", "Done")} == dict.fromkeys(
        ("Init", "Recover", "Done"), SUCCEEDED)
    assert {status.of(n).status for n in ("Route", "Pause", "Fan", "Items", "Broken")} == {NOT_REACHED}
    assert json.loads(status.of("Recover").output)["failure"]["Error"] == "Lambda.ServiceException"


def test_running_map_after_parallel_and_a_retry_that_succeeded() -> None:
    events = load("graph_history_running_map.json")
    # Shuffled input order must not matter: ids give the order.
    status = execution_status(list(reversed(events)))
    assert status.status == "RUNNING"
    assert (status.of("Fetch").status, status.of("Fetch").retries) == (SUCCEEDED, 1)
    assert [status.of(n).status for n in ("Fan", "Left", "Right")] == [SUCCEEDED] * 3
    assert status.of("Items").status == RUNNING and status.of("Items").iterations == 2
    square = status.of("Square")
    assert (square.status, square.visits) == (RUNNING, 2)  # one iteration done, one still running
    assert status.of("Done").status == NOT_REACHED


def test_running_duration_counts_up_to_now() -> None:
    events = load("graph_history_running_map.json")
    last = max(datetime.fromisoformat(e["timestamp"]) for e in events)
    base = execution_status(events).of("Items").duration_s
    more = execution_status(events, now=last + timedelta(minutes=1)).of("Items").duration_s
    assert base and more == pytest.approx(base + 60)


def test_uncaught_timeout_fails_the_state_and_the_execution() -> None:
    status = execution_status(load("graph_history_failed.json"))
    assert (status.status, status.error) == ("FAILED", "States.Timeout")
    fetch = status.of("Fetch")
    assert (fetch.status, fetch.error, fetch.cause) == (FAILED, "States.Timeout", "Task timed out after 30 seconds")
    assert status.of("Init").status == SUCCEEDED


def one_state(entered: str, name: str, ended: str, at: int, **details: Any) -> list[dict[str, Any]]:
    """A history: the execution starts at 0, enters state ``name`` at 1 and ``ended`` at ``at``."""
    return [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": 0},
        {"id": 2, "previousEventId": 1, "type": entered, "timestamp": 1,
         "stateEnteredEventDetails": {"name": name, "input": "{}"}},
        {"id": 3, "previousEventId": 2, "type": ended, "timestamp": at, **details},
    ]


def test_a_state_that_fails_without_a_task_event_is_blamed() -> None:
    events = one_state("ChoiceStateEntered", "Route", "ExecutionFailed", 2, executionFailedEventDetails={
        "error": "States.NoChoiceMatched", "cause": "no rule matched"})
    route = execution_status(events).of("Route")
    assert (route.status, route.duration_s) == (FAILED, 1.0)


def test_aborted_execution_cancels_what_was_running() -> None:
    status = execution_status(one_state("WaitStateEntered", "Pause", "ExecutionAborted", 5))
    assert status.status == "ABORTED" and status.of("Pause").status == "cancelled"


def test_fail_state_is_failed_with_the_execution_error() -> None:
    events = one_state("FailStateEntered", "Broken", "ExecutionFailed", 1, executionFailedEventDetails={
        "error": "Broken", "cause": "the map failed"})
    broken = execution_status(events).of("Broken")
    assert (broken.status, broken.error, broken.cause) == (FAILED, "Broken", "the map failed")


def test_assigned_variables_and_a_jsonata_error_from_a_real_history() -> None:
    import random

    from workflow.engine import VirtualClock, run_execution

    events: list[dict] = []
    run_execution({"QueryLanguage": "JSONata", "StartAt": "Set", "States": {
        "Set": {"Type": "Pass", "Assign": {"limit": 3}, "Next": "Use"},
        "Use": {"Type": "Pass", "Output": "{% $nope %}", "End": True}}},
        {}, clock=VirtualClock(), rng=random.Random(1), sink=events.append)
    status = execution_status(events)
    assert status.states["Set"].assigned == {"limit": "3"}
    assert status.states["Use"].status == FAILED
    assert status.states["Use"].error == "States.QueryEvaluationError"


def test_a_redriven_execution_shows_what_the_redrive_ran_again() -> None:
    from tests.unit.engine.test_redrive import FlakyFunction, run_then_redrive, task

    definition = {"StartAt": "First", "States": {
        **task("First", "Second", ResultPath="$.first", Parameters={"FunctionName": "fn", "Payload": {"item": 1}}),
        **task("Second", ResultPath="$.second")}}
    _, _, journal, closed = run_then_redrive(definition, {"item": 4}, FlakyFunction({4}), FlakyFunction(set()))
    failed = execution_status(journal.events[:closed])
    assert (failed.status, failed.of("Second").status, failed.redrives) == ("FAILED", FAILED, 0)
    running = execution_status(journal.events[:closed + 2])  # ExecutionRedriven, TaskScheduled
    assert (running.status, running.redrives, running.error) == ("RUNNING", 1, None)
    assert running.of("Second").status == RUNNING
    done = execution_status(journal.events)
    assert (done.status, done.redrives) == ("SUCCEEDED", 1)
    second, first = done.of("Second"), done.of("First")
    assert (second.status, second.redrives, second.retries, second.visits) == (SUCCEEDED, 1, 0, 1)
    assert (first.status, first.redrives) == (SUCCEEDED, 0)
    from workflow.graph.styles import status_text

    assert status_text(second).endswith("redriven")
