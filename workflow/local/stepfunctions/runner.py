"""Runs executions on the ASL engine; their events and lane records go to the store together.

An execution outlives the server: when the server stops it lets go of its executions
(they stay RUNNING, nothing more is written) and when it starts it resumes every RUNNING
execution from its journal (``workflow.engine.Interpreter.resume``). Only an execution
that cannot be continued (its journal predates lane records, its definition no longer
parses) ends FAILED with a cause that says so.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from workflow.engine import (
    ExecutionContext,
    ExecutionHandle,
    ExecutionStatus,
    Interpreter,
    StateMachine,
    parse_definition,
)
from workflow.engine.task_services import task_services
from workflow.local import background
from workflow.local.access.caller import STATES, ServicePrincipal
from workflow.local.access.principals import session_name
from workflow.local.background import failure_reason
from workflow.local.context import ServerContext
from workflow.local.sagemaker.facade import sagemaker
from workflow.local.stepfunctions.journal import EXECUTION, TERMINAL, StoreJournal, snapshot

if TYPE_CHECKING:
    from workflow.local.sts.facade import Session

log = logging.getLogger(__name__)

SERVER_STOPPED = "Local.ServerStopped"
SERVER_STOPPED_CAUSE = (
    "The local server stopped while this execution was running and cannot continue it "
    "({why}); start a new execution to run it again."
)
#: Seconds between Describe calls of `.sync` integrations (the engine divides by time_scale).
#: A SageMaker job's end wakes its task at once (``_watch_job``); the poll is the fallback.
POLL_INTERVAL = 1.0
STOP_WAIT = 10.0
WATCH_INTERVAL = 30.0

#: ``begin(interpreter, ctx, journal)`` starts or continues the engine's run of an execution.
Begin = Callable[[Interpreter, ExecutionContext, StoreJournal], ExecutionHandle]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class _RoleClient:
    """A Task's client whose credentials are the role session's current ones: an execution
    may outlive a session (an hour), so each call signs with the renewed one."""

    def __init__(self, current: Callable[[], Any]) -> None:
        self._current = current

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)


@dataclass
class _Running:
    journal: StoreJournal
    handle: ExecutionHandle | None = None


class Runner:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._building: dict[tuple[str, str | None], threading.Lock] = {}
        self._job_watchers: dict[tuple[str, str], set[threading.Event]] = {}

    # -- clients for Task states ------------------------------------------
    def client(self, service: str, credentials: Session | None = None) -> Any:
        """A Task's client for ``service``: signed with ``credentials`` (the state machine
        role's session) or, without, as the account."""
        key = (service, credentials.access_key_id if credentials is not None else None)
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        # One build per service: a Task that needs a client being built waits for it.
        with building:
            client = self._clients.get(key)
            if client is None:
                # The engine's Retry policies decide about retries, and a Task may
                # legitimately wait minutes for a Lambda answer.
                client = self._clients[key] = self.ctx.client(
                    service, credentials, read_timeout=900, connect_timeout=10,
                    retries={"mode": "standard", "max_attempts": 1})
        return client

    def clients_as(self, role_arn: str | None, machine_name: str) -> Callable[[str], Any]:
        """The client factory of an execution: Step Functions calls each Task's service with
        the state machine's role ("Step Functions uses the IAM role of the state machine to
        call the service integrations", AWS Step Functions Developer Guide, "How Step
        Functions generates IAM policies for integrated services")."""
        def factory(service: str) -> Any:
            return _RoleClient(lambda: self.client(service, self.ctx.service_sessions.session(
                STATES, role_arn, session_name(machine_name))))
        return factory

    def prepare(self, definition: str) -> None:
        """Build the clients a state machine's Tasks will use, in the background."""
        def build() -> None:
            for service in task_services(json.loads(definition)):
                self.client(service)

        threading.Thread(target=build, daemon=True, name="sfn-clients").start()

    # -- SageMaker job changes for `.sync` tasks ---------------------------
    def listen_to_jobs(self) -> None:
        """Hear of SageMaker jobs' ends (call once every backend exists)."""
        service = sagemaker(self.ctx)
        if service is not None:
            service.on_job_finished(ServicePrincipal(STATES), self._job_finished)

    def _watch_job(self, kind: str, name: str, changed: threading.Event) -> Callable[[], None]:
        key = (kind, name)
        with self._lock:
            self._job_watchers.setdefault(key, set()).add(changed)

        def unwatch() -> None:
            with self._lock:
                watchers = self._job_watchers.get(key, set())
                watchers.discard(changed)
                if not watchers:
                    self._job_watchers.pop(key, None)

        return unwatch

    def _job_finished(self, kind: str, name: str) -> None:
        with self._lock:
            watchers = list(self._job_watchers.get((kind, name), ()))
        for changed in watchers:
            changed.set()

    # -- running ----------------------------------------------------------
    def start(self, doc: dict[str, Any], machine: StateMachine, execution_input: Any) -> None:
        self._launch(doc, machine, lambda engine, ctx, journal: engine.start(execution_input, ctx, journal=journal))

    def redrive(self, doc: dict[str, Any], machine: StateMachine) -> None:
        """Continue a closed execution from its unsuccessful states (``doc`` is RUNNING again)."""
        state = snapshot(self.ctx.store, doc, redrive=True)
        self._launch(doc, machine, lambda engine, ctx, journal: engine.resume(state, ctx, journal))

    def resume_interrupted(self) -> int:
        """Continue the executions a previous server left RUNNING; returns how many."""
        count = 0
        for doc in self.ctx.store.list(EXECUTION):
            arn = doc["executionArn"]
            if doc["status"] != "RUNNING" or self.is_running(arn):
                continue
            last = self.ctx.store.events(arn, reverse=True, limit=1)
            if last and last[0]["type"] in TERMINAL:
                # It ended just as the server stopped: close its document from the event.
                status, key = TERMINAL[last[0]["type"]]
                self._finish(arn, status, last[0]["timestamp"], last[0].get(key) or {})
                continue
            why = self._resume(doc)
            if why is None:
                count += 1
            else:
                self._close(arn, "ExecutionFailed", "FAILED",
                            {"error": SERVER_STOPPED, "cause": SERVER_STOPPED_CAUSE.format(why=why)})
        return count

    def _resume(self, doc: dict[str, Any]) -> str | None:
        """Resume ``doc``; None, or why it cannot be resumed."""
        if not doc.get("_journaled"):
            return "it was started by a server that kept no record of where its states stood"
        try:
            machine = parse_definition(doc["_definition"])
            state = snapshot(self.ctx.store, doc, redrive=False)
        except Exception as exc:
            log.exception("cannot resume %s", doc["executionArn"])
            return f"{type(exc).__name__}: {exc}"
        self._launch(doc, machine, lambda engine, ctx, journal: engine.resume(state, ctx, journal))
        return None

    def _launch(self, doc: dict[str, Any], machine: StateMachine, begin: Begin) -> None:
        arn = doc["executionArn"]
        running = _Running(StoreJournal(self.ctx.store, arn, lambda *end: self._finish(arn, *end)))
        with self._lock:
            self._running[arn] = running
        ctx = ExecutionContext(
            execution_arn=arn, execution_name=doc["name"],
            state_machine_arn=doc["stateMachineArn"], state_machine_name=doc["_stateMachineName"],
            role_arn=doc["_roleArn"], start_time=doc["startDate"],
            redrive_count=doc.get("redriveCount", 0), redrive_time=doc.get("redriveDate"),
        )
        interpreter = Interpreter(machine, client_factory=self.clients_as(doc["_roleArn"], doc["_stateMachineName"]),
                                  time_scale=self.ctx.time_scale,
                                  poll_interval=POLL_INTERVAL, job_watch=self._watch_job)
        try:
            running.handle = begin(interpreter, ctx, running.journal)
        except Exception as exc:
            # Never leave an execution RUNNING that nothing runs.
            log.exception("the engine could not start %s", arn)
            running.journal.close()
            with self._lock:
                self._running.pop(arn, None)
            self._close(arn, "ExecutionFailed", "FAILED",
                        {"error": "States.Runtime", "cause": f"The execution could not start: {exc}"})
            return
        background.start(f"sfn-watch-{doc['name'][:40]}", lambda: self._watch(arn, running),
                         lambda err: self._watch_failed(arn, running, err))

    def _finish(self, arn: str, status: str, when: datetime, details: dict[str, Any]) -> None:
        def change(doc: dict[str, Any]) -> None:
            if doc["status"] != "RUNNING":
                return
            doc.update(status=status, stopDate=when)
            for key in ("output", "error", "cause"):
                if details.get(key) is not None:
                    doc[key] = details[key]

        self.ctx.store.update(EXECUTION, arn, change)

    def _watch(self, arn: str, running: _Running) -> None:
        assert running.handle is not None
        result = None
        # Executions may run for hours; wake up now and then to notice a close here.
        while result is None and not running.journal.closed:
            result = running.handle.wait(timeout=WATCH_INTERVAL)
        if result is not None and result.status != ExecutionStatus.SUSPENDED and running.journal.close():
            # The engine ended without a terminal event: keep the document honest.
            self._finish(arn, result.status.value, _now(), {
                "output": None, "error": result.error, "cause": result.cause})
        with self._lock:
            if self._running.get(arn) is running:
                self._running.pop(arn, None)

    def _watch_failed(self, arn: str, running: _Running, err: Exception) -> None:
        """Watching broke: the execution must not stay RUNNING with nothing to end it."""
        if running.handle is not None:
            running.handle.stop(error="States.Runtime", cause=failure_reason(err))
        if running.journal.close():
            self._finish(arn, "FAILED", _now(), {"error": "States.Runtime", "cause": failure_reason(err)})
        with self._lock:
            if self._running.get(arn) is running:
                self._running.pop(arn, None)

    def is_running(self, arn: str) -> bool:
        with self._lock:
            return arn in self._running

    def running_count(self) -> int:
        with self._lock:
            return len(self._running)

    # -- stopping ---------------------------------------------------------
    def stop(self, arn: str, error: str | None, cause: str | None) -> None:
        with self._lock:
            running = self._running.get(arn)
        if running is not None and running.handle is not None:
            running.handle.stop(error=error, cause=cause)
            running.handle.wait(timeout=STOP_WAIT)
            if not running.journal.close():
                return
        self._close(arn, "ExecutionAborted", "ABORTED", {"error": error, "cause": cause})

    def _close(self, arn: str, event_type: str, status: str, details: dict[str, Any]) -> None:
        """End an execution here, with its terminal event, whatever the engine does next."""
        doc = self.ctx.store.get(EXECUTION, arn)
        if doc is None or doc["status"] != "RUNNING":
            return
        last = self.ctx.store.events(arn, reverse=True, limit=1)
        last_id = last[0]["id"] if last else 0
        when = _now()
        details = {k: v for k, v in details.items() if v is not None}
        key = event_type[0].lower() + event_type[1:] + "EventDetails"
        self.ctx.store.append_event(arn, {
            "id": last_id + 1, "previousEventId": last_id, "timestamp": when,
            "type": event_type, key: details,
        })
        self._finish(arn, status, when, details)

    def shutdown(self) -> None:
        """Let go of every execution: they stay RUNNING and resume when a server starts again."""
        with self._lock:
            running = dict(self._running)
        for arn, record in running.items():
            record.journal.close()
            if record.handle is not None and not record.handle.done:
                try:
                    # No wait: the threads unwind on their own, writing nothing, stopping nothing.
                    record.handle.suspend(grace=0)
                except Exception:
                    log.exception("suspending %s at shutdown failed", arn)
