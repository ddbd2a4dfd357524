"""One call of a Task's integration: its clients, timeouts, cancellation and TaskSubmitted."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Callable

from ..clock import SystemClock
from ..execution import CancelScope, Execution, Frame
from ..lanes import Step
from ..limits import to_json
from .resource import Resource


class TaskInterrupted(Exception):
    """The task must end now: ``timed_out`` (TimeoutSeconds) or the execution was stopped.

    Integrations catch it to clean up (e.g. StopTrainingJob) and re-raise it, except when
    ``suspended``: the execution's host is going away and will resume the task later, so
    what the task started must go on.
    """

    def __init__(self, timed_out: bool, suspended: bool = False) -> None:
        super().__init__("task timed out" if timed_out else "task suspended" if suspended else "task stopped")
        self.timed_out = timed_out
        self.suspended = suspended


class TaskInvocation:
    def __init__(self, frame: Frame, resource: Resource, parameters: Any,
                 timeout_seconds: float | None, heartbeat_seconds: float | None,
                 state_spec: dict[str, Any] | None = None, *, deadline: datetime | None = None,
                 job: str | None = None) -> None:
        self.frame = frame
        self.state_spec = state_spec or {}
        self.resource = resource
        self.parameters = parameters
        self.timeout_seconds = timeout_seconds
        self.heartbeat_seconds = heartbeat_seconds
        execution = frame.execution
        self.deadline: datetime | None = deadline if deadline is not None else (
            execution.clock.now() + timedelta(seconds=execution.scaled(timeout_seconds))
            if timeout_seconds is not None else None
        )
        #: The job a resumed `.sync` task waits for (submitted before its host restarted).
        self.job = job
        self.submitted_output: Any = None

    @property
    def execution(self) -> Execution:
        return self.frame.execution

    def client(self, service: str) -> Any:
        return self.execution.client(service)

    def submitted(self, output: Any, job: str | None = None) -> None:
        """Record TaskSubmitted: the job ``job`` was accepted (``.sync`` integrations)."""
        self.submitted_output = output
        record = self.frame.record
        record.step, record.job = Step.JOB, job
        self.frame.emit("TaskSubmitted", {
            "resourceType": self.resource.resource_type,
            "resource": self.resource.resource_name,
            "output": to_json(output),
            "outputDetails": {"truncated": False},
        })

    def _check(self) -> None:
        self.execution.check_deadline()
        if self.frame.scope.cancelled:
            raise TaskInterrupted(False, suspended=self.execution.suspended)
        if self.deadline is not None and self.execution.clock.now() >= self.deadline:
            raise TaskInterrupted(True)

    @contextmanager
    def job_changes(self, kind: str, name: str) -> Iterator[threading.Event | None]:
        """An event set when the job ``name`` changes (see ``JobWatch``) or this task is stopped,
        to pass to ``sleep``; None when the execution learns of job changes by polling only."""
        if self.execution.job_watch is None:
            yield None
            return
        # A scope of its own: stopping the task sets its event too, so a sleep on it ends.
        scope = CancelScope(self.frame.scope)
        unwatch = self.execution.job_watch(kind, name, scope.event)
        try:
            yield scope.event
        finally:
            unwatch()

    def sleep(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Wait engine seconds between polls, or until ``wake`` is set (cleared here);
        raises TaskInterrupted on timeout or stop."""
        self._check()
        real = self.execution.scaled(seconds)
        if self.deadline is not None:
            real = min(real, max((self.deadline - self.execution.clock.now()).total_seconds(), 0.0))
        if self.execution.deadline is not None:
            real = min(real, max((self.execution.deadline - self.execution.clock.now()).total_seconds(), 0.0))
        self.execution.clock.sleep(real, wake or self.frame.scope.event)
        self._check()
        if wake is not None:
            wake.clear()  # not a stop (checked above): a change, read by the caller now

    def call(self, function: Callable[[], Any]) -> Any:
        """Run a blocking service call; with a real clock it is abandoned on timeout or stop."""
        self._check()
        if not isinstance(self.execution.clock, SystemClock) or (
            self.deadline is None and self.execution.deadline is None
        ):
            result = function()
            self._check()
            return result
        box: dict[str, Any] = {}
        done = threading.Event()

        def target() -> None:
            try:
                box["result"] = function()
            except BaseException as exc:  # noqa: BLE001 - handed back to the calling thread below
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=target, daemon=True).start()
        while not done.wait(0.05):
            self._check()
        if "error" in box:
            raise box["error"]
        return box["result"]
