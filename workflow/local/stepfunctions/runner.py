"""Runs executions on the ASL engine and keeps their documents and histories.

Every event the engine emits is appended to the store before the execution
document changes, so a reader never sees a terminal status without its
terminal event. An execution the server cannot finish (it stops, or it
stopped earlier without finishing) ends FAILED with a cause that says so.
"""
from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from workflow.local.context import ServerContext

log = logging.getLogger(__name__)

EXECUTION = "sfn.execution"
SERVER_STOPPED = "Local.ServerStopped"
SERVER_STOPPED_CAUSE = (
    "The local server stopped while this execution was running; "
    "start a new execution to run it again."
)
#: Seconds between Describe calls of `.sync` integrations (the engine divides by time_scale).
#: A SageMaker job's end wakes its task at once (``_watch_job``); the poll is the fallback.
POLL_INTERVAL = 1.0
STOP_WAIT = 10.0
WATCH_INTERVAL = 30.0

_TERMINAL = {
    "ExecutionSucceeded": ("SUCCEEDED", "executionSucceededEventDetails"),
    "ExecutionFailed": ("FAILED", "executionFailedEventDetails"),
    "ExecutionAborted": ("ABORTED", "executionAbortedEventDetails"),
    "ExecutionTimedOut": ("TIMED_OUT", "executionTimedOutEventDetails"),
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class _Running:
    handle: Any = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: Set once the execution is finalised here; later engine events are dropped.
    closed: bool = False


class Runner:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._building: dict[str, threading.Lock] = {}
        self._job_watchers: dict[tuple[str, str], set[threading.Event]] = {}

    # -- clients for Task states ------------------------------------------
    def client(self, service: str) -> Any:
        with self._lock:
            building = self._building.setdefault(service, threading.Lock())
        # One build per service: a Task that needs a client being built waits for it.
        with building:
            client = self._clients.get(service)
            if client is None:
                # The engine's Retry policies decide about retries, and a Task may
                # legitimately wait minutes for a Lambda answer.
                client = self._clients[service] = self.ctx.client(
                    service, read_timeout=900, connect_timeout=10,
                    retries={"mode": "standard", "max_attempts": 1})
        return client

    def prepare(self, definition: str) -> None:
        """Build the clients a state machine's Tasks will use, in the background."""
        from workflow.engine.task_services import task_services

        def build() -> None:
            for service in task_services(json.loads(definition)):
                self.client(service)

        threading.Thread(target=build, daemon=True, name="sfn-clients").start()

    # -- SageMaker job changes for `.sync` tasks ---------------------------
    def listen_to_jobs(self) -> None:
        """Hear of SageMaker jobs' ends (call once every backend exists)."""
        sagemaker = self.ctx.backends.get("sagemaker")
        if sagemaker is not None:
            sagemaker.on_job_finished(self._job_finished)

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
    def start(self, doc: dict[str, Any], machine: Any, execution_input: Any) -> None:
        from workflow.engine import ExecutionContext, Interpreter

        arn = doc["executionArn"]
        running = _Running()
        with self._lock:
            self._running[arn] = running
        ctx = ExecutionContext(
            execution_arn=arn, execution_name=doc["name"],
            state_machine_arn=doc["stateMachineArn"], state_machine_name=doc["_stateMachineName"],
            role_arn=doc["_roleArn"], start_time=doc["startDate"],
        )
        interpreter = Interpreter(machine, client_factory=self.client, time_scale=self.ctx.time_scale,
                                  poll_interval=POLL_INTERVAL, job_watch=self._watch_job)
        try:
            running.handle = interpreter.start(
                execution_input, ctx, functools.partial(self._sink, arn, running))
        except Exception as exc:
            # Never leave an execution RUNNING that nothing runs.
            log.exception("the engine could not start %s", arn)
            with running.lock:
                running.closed = True
            with self._lock:
                self._running.pop(arn, None)
            self._close(arn, "ExecutionFailed", "FAILED",
                        {"error": "States.Runtime", "cause": f"The execution could not start: {exc}"})
            return
        threading.Thread(target=self._watch, args=(arn, running), daemon=True,
                         name=f"sfn-watch-{doc['name'][:40]}").start()

    def _sink(self, arn: str, running: _Running, event: dict[str, Any]) -> None:
        with running.lock:
            if running.closed:
                return
            self.ctx.store.append_event(arn, event)
            terminal = _TERMINAL.get(event["type"])
            if terminal:
                status, details_key = terminal
                details = event.get(details_key) or {}
                self._finish(arn, status, event.get("timestamp") or _now(), details)
                running.closed = True

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
        result = None
        # Executions may run for hours; wake up now and then to notice a close here.
        while result is None and not running.closed:
            result = running.handle.wait(timeout=WATCH_INTERVAL)
        with running.lock:
            if not running.closed and result is not None:
                # The engine ended without a terminal event: keep the document honest.
                self._finish(arn, result.status, _now(), {
                    "output": None, "error": result.error, "cause": result.cause})
                running.closed = True
        with self._lock:
            self._running.pop(arn, None)

    def is_running(self, arn: str) -> bool:
        with self._lock:
            return arn in self._running

    # -- stopping ---------------------------------------------------------
    def stop(self, arn: str, error: str | None, cause: str | None) -> None:
        with self._lock:
            running = self._running.get(arn)
        if running is not None and running.handle is not None:
            running.handle.stop(error=error, cause=cause)
            running.handle.wait(timeout=STOP_WAIT)
            with running.lock:
                if running.closed:
                    return
                running.closed = True
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

    def fail_interrupted(self) -> int:
        """Mark executions a previous server left RUNNING as FAILED; returns how many."""
        count = 0
        for doc in self.ctx.store.list(EXECUTION):
            if doc["status"] == "RUNNING" and not self.is_running(doc["executionArn"]):
                self._close(doc["executionArn"], "ExecutionFailed", "FAILED",
                            {"error": SERVER_STOPPED, "cause": SERVER_STOPPED_CAUSE})
                count += 1
        return count

    def shutdown(self) -> None:
        with self._lock:
            running = dict(self._running)
        for arn, record in running.items():
            with record.lock:
                if record.closed:
                    continue
                record.closed = True
                self._close(arn, "ExecutionFailed", "FAILED",
                            {"error": SERVER_STOPPED, "cause": SERVER_STOPPED_CAUSE})
        for record in running.values():
            if record.handle is not None and not record.handle.done:
                try:
                    record.handle.stop(error=SERVER_STOPPED, cause=SERVER_STOPPED_CAUSE)
                except Exception:
                    log.exception("stopping an execution at shutdown failed")
