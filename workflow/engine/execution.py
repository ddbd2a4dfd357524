"""What one execution shares across its branches, and the per-branch frame states run in."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from .callbacks import CallbackRegistry
from .clock import Clock
from .errors import ExecutionStopped
from .history import History, Lane
from .lanes import LaneRecord
from .timestamps import format_timestamp
from .variables import VariableScope

#: The stop status of an execution whose host goes away: nothing is ended, it resumes later.
SUSPENDED = "SUSPENDED"

#: ``job_watch(kind, name, changed)`` sets ``changed`` whenever the SageMaker job ``name``
#: (kind "TrainingJob" or "HyperParameterTuningJob") reaches its final status, until the
#: returned function is called; a `.sync` task then reads the job at once instead of on its
#: next poll, as Step Functions learns of SageMaker job changes from EventBridge events.
JobWatch = Callable[[str, str, threading.Event], Callable[[], None]]


@dataclass
class ExecutionContext:
    """Identity of an execution, as the context object (``$$.Execution``) exposes it."""

    execution_arn: str
    execution_name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    start_time: datetime
    redrive_count: int = 0
    redrive_time: datetime | None = None

    @property
    def region(self) -> str:
        parts = self.execution_arn.split(":")
        return parts[3] if len(parts) > 4 and parts[3] else "us-east-1"

    @classmethod
    def local(cls, name: str = "local", start_time: datetime | None = None) -> "ExecutionContext":
        region, account = "us-east-1", "123456789012"
        machine = f"arn:aws:states:{region}:{account}:stateMachine:{name}"
        return cls(
            execution_arn=f"arn:aws:states:{region}:{account}:execution:{name}:{name}-run",
            execution_name=f"{name}-run",
            state_machine_arn=machine,
            state_machine_name=name,
            role_arn=f"arn:aws:iam::{account}:role/{name}-role",
            start_time=start_time or datetime.now(timezone.utc),
        )


class CancelScope:
    """A cancel flag that cancelling a parent sets on all its children (branches, iterations)."""

    def __init__(self, parent: "CancelScope | None" = None) -> None:
        self.event = threading.Event()
        self._children: list[CancelScope] = []
        self._lock = threading.Lock()
        if parent is not None:
            with parent._lock:
                parent._children.append(self)
            if parent.event.is_set():
                self.event.set()

    def cancel(self) -> None:
        self.event.set()
        with self._lock:
            children = list(self._children)
        for child in children:
            child.cancel()

    @property
    def cancelled(self) -> bool:
        return self.event.is_set()


class Execution:
    """One running execution: what all its branches share (history, clock, clients,
    identity, deadline, stop reason)."""

    def __init__(
        self,
        *,
        history: History,
        clock: Clock,
        ctx: ExecutionContext,
        client_factory: Callable[[str], Any] | None,
        time_scale: float,
        poll_interval: float,
        rng: random.Random,
        execution_input: Any,
        job_watch: JobWatch | None = None,
    ) -> None:
        self.history = history
        self.clock = clock
        self.ctx = ctx
        self.client_factory = client_factory
        self.time_scale = time_scale if time_scale > 0 else 1.0
        self.poll_interval = poll_interval
        self.job_watch = job_watch
        self.rng = rng
        self.execution_input = execution_input
        self.root = CancelScope()
        self.deadline: datetime | None = None
        # (status, error, cause) once the execution is stopped or timed out.
        self.stop_reason: tuple[str, str | None, str | None] | None = None
        #: Lanes a resumed execution continues, by path (see ``lanes.py``); taken as they start.
        self.restored: dict[str, LaneRecord] = {}
        self._restored_lock = threading.Lock()
        self._start_text = format_timestamp(ctx.start_time)
        self.callbacks = CallbackRegistry()
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    def client(self, service: str) -> Any:
        if self.client_factory is None:
            from .errors import runtime_error

            raise runtime_error(f"No AWS client is configured to call the {service} service")
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self.client_factory(service)
            return self._clients[service]

    def scaled(self, seconds: float) -> float:
        return seconds / self.time_scale

    def set_timeout(self, seconds: float | None, start: datetime | None = None) -> None:
        if seconds is not None:
            self.deadline = (start or self.clock.now()) + timedelta(seconds=self.scaled(seconds))

    def stop(self, status: str, error: str | None, cause: str | None) -> None:
        if self.stop_reason is None:
            self.stop_reason = (status, error, cause)
        self.root.cancel()

    @property
    def suspended(self) -> bool:
        """Stopped by its host going away: it ends nothing, a resume continues it."""
        return self.stop_reason is not None and self.stop_reason[0] == SUSPENDED

    def take_restored(self, path: str | None) -> LaneRecord | None:
        if path is None:
            return None
        with self._restored_lock:
            return self.restored.pop(path, None)

    def check_deadline(self) -> None:
        if self.deadline is not None and self.stop_reason is None and self.clock.now() >= self.deadline:
            self.stop("TIMED_OUT", "States.Timeout", "The execution timed out.")

    def base_context(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "Execution": {
                "Id": ctx.execution_arn,
                "Input": self.execution_input,
                "Name": ctx.execution_name,
                "RoleArn": ctx.role_arn,
                "StartTime": self._start_text,
                "RedriveCount": ctx.redrive_count,
                **({"RedriveTime": format_timestamp(ctx.redrive_time)} if ctx.redrive_time else {}),
            },
            "StateMachine": {"Id": ctx.state_machine_arn, "Name": ctx.state_machine_name},
        }


class Frame:
    """One line of work: the main flow, a Parallel branch, or a Map iteration."""

    __slots__ = ("execution", "lane", "scope", "state_name", "entered_time", "retry_count",
                 "map_item", "task_token", "rng", "variables", "entered_event_id", "assigned", "resuming")

    def __init__(self, execution: Execution, lane: Lane, scope: CancelScope,
                 map_item: tuple[int, Any] | None = None, variables: VariableScope | None = None) -> None:
        self.execution = execution
        if lane.record is None:
            lane.record = LaneRecord(last_event=lane.last)
        self.lane = lane
        self.scope = scope
        self.state_name = ""
        self.entered_time: datetime | None = None
        self.retry_count = 0
        self.map_item = map_item
        self.task_token: str | None = None
        self.rng = execution.rng
        # Workflow variables: a Parallel branch or Map iteration gets a child scope.
        self.variables = variables if variables is not None else VariableScope()
        # The id of the current state's Entered event (error causes name it).
        self.entered_event_id = 0
        # What the current state assigns: bound when it exits, so that every field of
        # the state (OutputPath, Output) still sees the values from before it.
        self.assigned: dict[str, Any] | None = None
        #: The record of a restored lane, until its current state has taken over from it.
        self.resuming: LaneRecord | None = None

    @property
    def record(self) -> LaneRecord:
        record = self.lane.record
        assert record is not None
        return record

    def child(self, lane: Lane, map_item: tuple[int, Any] | None = None) -> "Frame":
        return Frame(self.execution, lane, CancelScope(self.scope), map_item, self.variables.child())

    def variable(self, name: str) -> Any:
        """A workflow variable's value (``$name`` in a path); KeyError when none is defined."""
        return self.variables.get(name)

    def restore(self, record: LaneRecord, outer: VariableScope | None = None) -> None:
        """Continue ``record``: the lane's events link on from its last one, with the variables
        it held (inside ``outer``, the scope of the state that runs it as a branch or iteration)."""
        self.lane.record = record
        self.lane.last = record.last_event
        self.resuming = record
        if record.variables:
            self.variables = VariableScope.restore(record.variables, outer)

    def emit(self, event_type: str, details: dict[str, Any] | None = None) -> int:
        return self.execution.history.emit(self.lane, event_type, details)

    def emit_unlinked(self, event_type: str, details: dict[str, Any] | None = None) -> int:
        """An event the next one on this lane does not link to (e.g. ParallelStateSucceeded,
        whose following ParallelStateExited links to the branches' last event, as in AWS)."""
        return self.execution.history.emit(self.lane, event_type, details, link=False)

    def save(self) -> None:
        """Journal a change of this lane's record that comes with no event."""
        self.execution.history.save(self.lane)

    def check(self) -> None:
        """Unwind when this line of work was cancelled or the execution ran out of time."""
        self.execution.check_deadline()
        if self.scope.event.is_set():
            raise ExecutionStopped()

    def sleep(self, seconds: float, already: float = 0.0) -> None:
        """Wait engine seconds (scaled), less ``already`` real seconds spent before a restart,
        cut short by a stop or the execution timeout."""
        execution = self.execution
        real = max(execution.scaled(seconds) - already, 0.0)
        if execution.deadline is not None:
            remaining = (execution.deadline - execution.clock.now()).total_seconds()
            if remaining <= real:
                execution.clock.sleep(max(remaining, 0.0), self.scope.event)
                self.check()
                execution.stop("TIMED_OUT", "States.Timeout", "The execution timed out.")
                raise ExecutionStopped()
        if execution.clock.sleep(real, self.scope.event):
            raise ExecutionStopped()

    def context(self) -> dict[str, Any]:
        context = self.execution.base_context()
        context["State"] = {
            "EnteredTime": format_timestamp(self.entered_time or self.execution.clock.now()),
            "Name": self.state_name,
            "RetryCount": self.retry_count,
        }
        if self.task_token is not None:
            context["Task"] = {"Token": self.task_token}
        if self.map_item is not None:
            context["Map"] = {"Item": {"Index": self.map_item[0], "Value": self.map_item[1]}}
        return context
