"""Where each line of work of an execution stands, recorded with every event.

A lane is the main flow, a Parallel branch or a Map iteration. Its ``LaneRecord`` says
which state it is in, with what input, and how far that state's work got; the history
hands the record to a ``Journal`` together with each event of the lane, so a host that
writes both at once always holds a record that matches the history. From the records a
restarted host continues an execution where it was (``Interpreter.resume``), and a failed
one continues from the states that did not succeed (``redrive.redriven_lanes``).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

#: The main flow's lane path; a child's is "<parent>/<fan-out event id>.<index>".
MAIN = ""


class Step(str, Enum):
    """How far a lane's current state got."""

    ENTER = "ENTER"        # about to enter `state` with `input` (no Entered event yet)
    WORK = "WORK"          # `state` was entered; its work starts over on resume
    CALL = "CALL"          # a Task's call is in flight: its outcome is unknown after a restart
    JOB = "JOB"            # a `.sync` Task submitted the job named `job` and waits for its end
    CALLBACK = "CALLBACK"  # a callback Task handed out `token` and waits for an answer
    FAN_OUT = "FAN_OUT"    # a Map or Parallel state runs its children under `fan_out`
    RESULT = "RESULT"      # the state's work produced `output`; the state has not exited yet
    RETRY = "RETRY"        # the state's attempt failed with `error`: its Retry or Catch decide
    FAILED = "FAILED"      # the lane ended failed in `state` (a Map iteration's MapIterationFailed)
    ABORTED = "ABORTED"    # the lane was cancelled in `state` (MapIterationAborted)
    DONE = "DONE"          # the lane ended with `output`


@dataclass
class LaneRecord:
    state: str | None = None
    input: Any = None
    step: Step = Step.ENTER
    #: The current state's Entered event: a redriven state's first new event links to it.
    entered_event: int = 0
    entered_time: datetime | None = None
    #: The lane's latest event (the previousEventId of its next one).
    last_event: int = 0
    #: Attempts per retrier of the current state (the specification counts them per retrier).
    attempts: list[int] = field(default_factory=list)
    error: str | None = None
    cause: str | None = None
    #: When the failed attempt ended (a retry waits what is left of its interval).
    failed_at: datetime | None = None
    job: str | None = None
    token: str | None = None
    #: The Task's TimeoutSeconds as an instant, so a resumed task keeps its deadline.
    deadline: datetime | None = None
    #: The Map/ParallelStateStarted event under which the children lanes run.
    fan_out: int = 0
    output: Any = None
    #: Workflow variables in scope on this lane (``Assign``), restored with it.
    variables: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (datetimes as ISO 8601 text)."""
        out: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Step):
                value = value.value
            elif isinstance(value, list):
                value = list(value)
            out[item.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LaneRecord:
        known = {item.name for item in fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        values["step"] = Step(values.get("step", Step.ENTER.value))
        for key in ("entered_time", "failed_at", "deadline"):
            if isinstance(values.get(key), str):
                values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    def enter(self, state: str, data: Any) -> None:
        """About to enter ``state``: what the previous state's exit leaves behind."""
        self.state, self.input, self.step = state, data, Step.ENTER
        self.attempts, self.output = [], None
        self._clear_attempt()

    def finish(self, output: Any) -> None:
        self.state, self.input, self.step, self.output = None, None, Step.DONE, output
        self.attempts = []
        self._clear_attempt()

    def failed(self, error: str | None, cause: str | None, when: datetime) -> None:
        self.step, self.error, self.cause, self.failed_at = Step.RETRY, error, cause, when
        self.job = self.token = None

    def _clear_attempt(self) -> None:
        self.error = self.cause = self.failed_at = self.job = self.token = self.deadline = None
        self.fan_out = 0


def child_path(parent: str, fan_out: int, index: int) -> str:
    return f"{parent}/{fan_out}.{index}"


class Journal(Protocol):
    """Where the history goes when an execution must survive its host.

    ``write`` receives each event (None for a record-only change) with the path and
    the record (``LaneRecord.to_dict``) of the lane it belongs to, or None for events
    of no lane; it is called under the history's lock, in event order.
    """

    def write(self, event: dict[str, Any] | None, path: str | None, record: dict[str, Any] | None) -> None: ...


@dataclass
class ExecutionSnapshot:
    """What a host keeps to continue an execution: its input, its lanes and its history's length."""

    input: Any
    lanes: dict[str, LaneRecord]
    last_event: int
    #: The instant the execution's TimeoutSeconds counts from (its start, or its last redrive).
    timeout_from: datetime
    #: Continue a closed execution (write ExecutionRedriven first) rather than a running one.
    redrive: bool = False
