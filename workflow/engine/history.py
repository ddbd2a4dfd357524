"""The execution event history: AWS event types and details, ids in order, one writer at a time.

Events are dicts in botocore's ``HistoryEvent`` shape (GetExecutionHistory), handed to a
sink as they happen, or to a journal with the record of the lane they belong to (see
``lanes.py``). ``previousEventId`` links an event to the one before it on the same
branch of work (a Parallel branch or Map iteration has its own lane).
"""
from __future__ import annotations

import threading
from typing import Any, Callable

from .clock import Clock
from .errors import ExecutionStopped, StatesError
from .lanes import Journal, LaneRecord
from .limits import MAX_HISTORY_EVENTS

Sink = Callable[[dict[str, Any]], None]

# Event type -> the HistoryEvent member that holds its details.
DETAILS_KEY = {
    "ExecutionStarted": "executionStartedEventDetails",
    "ExecutionSucceeded": "executionSucceededEventDetails",
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskStarted": "taskStartedEventDetails",
    "TaskStartFailed": "taskStartFailedEventDetails",
    "TaskSubmitted": "taskSubmittedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "TaskSucceeded": "taskSucceededEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
    "LambdaFunctionScheduled": "lambdaFunctionScheduledEventDetails",
    "LambdaFunctionSucceeded": "lambdaFunctionSucceededEventDetails",
    "LambdaFunctionFailed": "lambdaFunctionFailedEventDetails",
    "LambdaFunctionTimedOut": "lambdaFunctionTimedOutEventDetails",
    "LambdaFunctionStartFailed": "lambdaFunctionStartFailedEventDetails",
    "MapStateStarted": "mapStateStartedEventDetails",
    "MapIterationStarted": "mapIterationStartedEventDetails",
    "MapIterationSucceeded": "mapIterationSucceededEventDetails",
    "MapIterationFailed": "mapIterationFailedEventDetails",
    "MapIterationAborted": "mapIterationAbortedEventDetails",
    "ExecutionRedriven": "executionRedrivenEventDetails",
}
# Map and Parallel children run under these events' ids (``LaneRecord.fan_out``).
_FAN_OUT_STARTED = {"MapStateStarted", "ParallelStateStarted"}
_TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}


class Lane:
    """A sequence of causally linked events (the main flow, a branch, an iteration), with
    the record of where it stands when the history is journaled."""

    __slots__ = ("last", "path", "record")

    def __init__(self, last: int = 0, path: str | None = None, record: LaneRecord | None = None) -> None:
        self.last = last
        self.path = path
        self.record = record


class History:
    def __init__(self, sink: Sink | None, clock: Clock, limit: int = MAX_HISTORY_EVENTS,
                 journal: Journal | None = None, first_id: int = 1) -> None:
        self._sink = sink
        self._journal = journal
        self._clock = clock
        self._limit = limit
        # Re-entrant: a sink may stop the execution, which writes the terminal event.
        self._lock = threading.RLock()
        self._next = first_id
        self.closed = False
        # Set when the history quota ended the execution: (error, cause).
        self.limit_failure: tuple[str, str] | None = None

    @property
    def count(self) -> int:
        return self._next - 1

    @property
    def journaled(self) -> bool:
        return self._journal is not None

    def emit(self, lane: Lane, event_type: str, details: dict[str, Any] | None = None, key: str | None = None,
             link: bool = True) -> int:
        """Record one event; raises ExecutionStopped once the execution has ended.

        ``link=False``: the lane's next event does not link to this one (it links to the
        one before, e.g. ParallelStateExited to the branches' last event, as in AWS)."""
        with self._lock:
            if self.closed:
                raise ExecutionStopped()
            if self._next >= self._limit and event_type not in _TERMINAL:
                # "If the event number 25,000 isn't ExecutionSucceeded, the ExecutionFailed
                # event is logged and the execution fails" (developer guide, history quota).
                error = StatesError.RUNTIME.value
                cause = f"The execution reached the maximum number of history events ({self._limit})."
                self.limit_failure = (error, cause)
                self._write(lane, "ExecutionFailed", {"error": error, "cause": cause}, None)
                self.closed = True
                raise ExecutionStopped()
            event_id = self._write(lane, event_type, details, key, link)
            if event_type in _TERMINAL:
                self.closed = True
            return event_id

    def save(self, lane: Lane) -> None:
        """Journal a change of the lane's record that comes with no event."""
        with self._lock:
            if self.closed:
                raise ExecutionStopped()
            if self._journal is not None and lane.record is not None:
                self._journal.write(None, lane.path, lane.record.to_dict())

    def suspend(self) -> None:
        """Write nothing more: the host lets go of the execution (it resumes elsewhere, later)."""
        with self._lock:
            self.closed = True

    def close(self, lane: Lane, event_type: str, details: dict[str, Any]) -> bool:
        """Write the terminal execution event unless the execution already ended."""
        with self._lock:
            if self.closed:
                return False
            self._write(lane, event_type, details, None)
            self.closed = True
            return True

    def _write(self, lane: Lane, event_type: str, details: dict[str, Any] | None, key: str | None,
               link: bool = True) -> int:
        event_id = self._next
        self._next += 1
        event: dict[str, Any] = {
            "timestamp": self._clock.now(),
            "type": event_type,
            "id": event_id,
            "previousEventId": lane.last,
        }
        if details is not None:
            event[key or DETAILS_KEY.get(event_type) or _state_key(event_type)] = details
        if link:
            lane.last = event_id
        if self._journal is not None:
            record = lane.record
            if record is not None:
                record.last_event = lane.last
                if event_type.endswith("StateEntered"):
                    record.entered_event, record.entered_time = event_id, event["timestamp"]
                elif event_type in _FAN_OUT_STARTED:
                    record.fan_out = event_id
            self._journal.write(event, lane.path, record.to_dict() if record is not None else None)
        elif self._sink is not None:
            self._sink(event)
        return event_id


def _state_key(event_type: str) -> str:
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    raise KeyError(event_type)
