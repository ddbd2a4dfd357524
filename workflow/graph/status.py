"""What happened to each state, read from a GetExecutionHistory event list.

Events are botocore ``HistoryEvent`` dicts. Each event is tied to the state
visit it belongs to by following ``previousEventId`` back to the nearest
``*StateEntered`` event, which also holds for interleaved Parallel branches and
Map iterations; the state's name is on its Entered and Exited events.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SUCCEEDED, FAILED, CAUGHT, RUNNING, CANCELLED, NOT_REACHED = (
    "succeeded", "failed", "caught", "running", "cancelled", "not reached")
#: Most telling first: a state shows the most telling status of its visits.
PRIORITY = (RUNNING, FAILED, CAUGHT, CANCELLED, SUCCEEDED)

_ATTEMPTS = {"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"}
_FAILURES = {
    "TaskFailed", "TaskTimedOut", "TaskStartFailed", "TaskSubmitFailed",
    "LambdaFunctionFailed", "LambdaFunctionTimedOut", "LambdaFunctionStartFailed",
    "LambdaFunctionScheduleFailed", "ActivityFailed", "ActivityTimedOut",
    "ActivityScheduleFailed", "MapStateFailed", "ParallelStateFailed", "MapRunFailed", "EvaluationFailed",
}
_SUCCESSES = {
    "TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded", "MapStateSucceeded",
    "ParallelStateSucceeded", "MapRunSucceeded",
}
_EXECUTION_END = {
    "ExecutionSucceeded": "SUCCEEDED", "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT", "ExecutionAborted": "ABORTED",
}


def timestamp(value: Any) -> datetime | None:
    """A HistoryEvent timestamp: a datetime (boto3), ISO-8601 text or epoch seconds (JSON)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str):
        try:
            return timestamp(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def details_of(event: dict[str, Any]) -> dict[str, Any]:
    """The ``...EventDetails`` member of an event (each event has at most one)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


@dataclass
class _Visit:
    name: str
    type: str
    order: int
    start: datetime | None
    input: str | None = None
    end: datetime | None = None
    output: str | None = None
    closed: bool = False
    attempts: int = 0
    failed: bool = False     # the last outcome seen in this visit was a failure
    had_failure: bool = False
    error: str | None = None
    cause: str | None = None
    iterations: int = 0
    assigned: dict[str, str] | None = None   # assignedVariables of its StateExited
    generation: int = 0      # the redrive (0: the first attempt) of the visit's latest event
    redriven: int = 0        # redrives that rescheduled work of this visit


@dataclass
class StateStatus:
    name: str
    status: str
    duration_s: float | None = None
    retries: int = 0
    visits: int = 0
    iterations: int = 0
    error: str | None = None
    cause: str | None = None
    input: str | None = None
    output: str | None = None
    # The variables its last visit assigned (name -> JSON text), as the history shows them.
    assigned: dict[str, str] | None = None
    #: Redrives of the execution that ran this state again.
    redrives: int = 0


@dataclass
class ExecutionStatus:
    status: str = "RUNNING"
    error: str | None = None
    cause: str | None = None
    states: dict[str, StateStatus] = field(default_factory=dict)
    #: ExecutionRedriven events so far: each one continues the execution from where it failed.
    redrives: int = 0

    def of(self, name: str) -> StateStatus:
        return self.states.get(name) or StateStatus(name, NOT_REACHED)


def _visit_status(visit: _Visit, execution: str, blame_open: bool) -> str:
    if visit.type == "Fail":
        return FAILED
    if visit.closed:
        return CAUGHT if visit.failed else SUCCEEDED
    if execution == "RUNNING":
        return RUNNING
    if execution == "ABORTED":
        return CANCELLED
    return FAILED if (visit.had_failure or blame_open) else CANCELLED


def execution_status(events: Iterable[dict[str, Any]], now: datetime | None = None) -> ExecutionStatus:
    """Per-state status, duration, retries and errors of one execution's history."""
    ordered = sorted(events, key=lambda e: int(e.get("id", 0)))
    result = ExecutionStatus()
    owner: dict[int, _Visit] = {}
    visits: list[_Visit] = []
    open_visits: list[_Visit] = []
    last_time: datetime | None = None
    for event in ordered:
        kind = str(event.get("type", ""))
        event_id = int(event.get("id", 0))
        when = timestamp(event.get("timestamp"))
        last_time = when or last_time
        details = details_of(event)
        if kind == "ExecutionRedriven":
            result.redrives += 1
            result.status, result.error, result.cause = "RUNNING", None, None
            continue
        if kind.endswith("StateEntered"):
            entered = _Visit(str(details.get("name", "")), kind[: -len("StateEntered")], len(visits),
                             when, details.get("input"), generation=result.redrives)
            visits.append(entered)
            open_visits.append(entered)
            owner[event_id] = entered
            continue
        visit = owner.get(int(event.get("previousEventId") or 0))
        if kind.endswith("StateExited"):
            name = details.get("name")
            if visit is None or visit.name != name or visit.closed:
                visit = next((v for v in reversed(open_visits) if v.name == name), None)
            if visit is not None:
                _catch_up_redrives(visit, result.redrives)
                visit.closed, visit.end, visit.output = True, when, details.get("output")
                visit.assigned = details.get("assignedVariables")
                open_visits.remove(visit)
                owner[event_id] = visit
            continue
        if visit is None and open_visits and kind not in _EXECUTION_END:
            visit = open_visits[-1]  # histories without previousEventId links
        if visit is not None:
            owner[event_id] = visit
            # A redrive rescheduled this visit's work (it had not succeeded).
            _catch_up_redrives(visit, result.redrives)
            _count(visit, kind, details)
        if kind in _EXECUTION_END:
            result.status = _EXECUTION_END[kind]
            result.error = details.get("error")
            result.cause = details.get("cause")
    _summarise(result, visits, now or last_time, blame_open=not any(v.had_failure for v in open_visits))
    return result


def _catch_up_redrives(visit: _Visit, redrives: int) -> None:
    if redrives > visit.generation:
        visit.redriven += redrives - visit.generation
        visit.generation = redrives


def _count(visit: _Visit, kind: str, details: dict[str, Any]) -> None:
    """What one event inside a visit adds to it: an attempt, a failure, a success, an iteration."""
    if kind in _ATTEMPTS:
        visit.attempts += 1
    elif kind in _FAILURES:
        visit.failed = visit.had_failure = True
        visit.error = details.get("error", visit.error)
        visit.cause = details.get("cause", visit.cause)
    elif kind in _SUCCESSES:
        visit.failed = False
    elif kind == "MapIterationStarted":
        visit.iterations += 1


def _summarise(result: ExecutionStatus, visits: list[_Visit], now: datetime | None, blame_open: bool) -> None:
    """Each state's status, duration, retries and data, from its visits in order."""
    for visit in visits:
        status = _visit_status(visit, result.status, blame_open)
        end = visit.end or (None if visit.closed else now)
        seconds = (end - visit.start).total_seconds() if end and visit.start else None
        state = result.states.get(visit.name)
        if state is None:
            state = result.states[visit.name] = StateStatus(visit.name, status)
        elif PRIORITY.index(status) < PRIORITY.index(state.status):
            state.status = status
        if seconds is not None:
            state.duration_s = (state.duration_s or 0.0) + max(seconds, 0.0)
        # A redrive schedules the task once more: that is not one of its retries.
        state.retries += max(visit.attempts - 1 - visit.redriven, 0)
        state.visits += 1
        state.iterations += visit.iterations
        state.redrives += visit.redriven
        state.input = visit.input if visit.input is not None else state.input
        state.output = visit.output if visit.output is not None else state.output
        state.assigned = visit.assigned if visit.assigned is not None else state.assigned
        if visit.error or visit.cause:
            state.error, state.cause = visit.error, visit.cause
        if visit.type == "Fail" and result.error is not None and state.error is None:
            state.error, state.cause = result.error, result.cause
