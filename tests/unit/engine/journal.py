"""An in-memory journal that can "crash": what a host's store keeps of an execution.

``crash_after(event)`` picks the last event the host writes; from there on nothing is
kept (as when the host's process dies), and the engine running the execution unwinds.
``snapshot()`` is what a restarted host reads back to resume.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from workflow.engine import ExecutionContext, ExecutionSnapshot, Interpreter, LaneRecord, parse_definition
from workflow.engine.errors import ExecutionStopped

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


class MemoryJournal:
    def __init__(self, crash_after: Callable[[dict], bool] | None = None) -> None:
        self.events: list[dict] = []
        self.lanes: dict[str, dict[str, Any]] = {}
        self.crash_after = crash_after
        self.dead = False

    def write(self, event: dict | None, path: str | None, record: dict[str, Any] | None) -> None:
        if self.dead:
            return
        if event is not None:
            self.events.append(event)
        if path is not None and record is not None:
            self.lanes[path] = record
        if event is not None and self.crash_after is not None and self.crash_after(event):
            self.dead = True
            raise ExecutionStopped()

    def restart(self, crash_after: Callable[[dict], bool] | None = None) -> None:
        """The host is back: it keeps writing where the history stopped."""
        self.dead, self.crash_after = False, crash_after

    def snapshot(self, input: Any, *, redrive: bool = False, timeout_from: datetime | None = None) -> ExecutionSnapshot:
        return ExecutionSnapshot(
            input=input, lanes={path: LaneRecord.from_dict(r) for path, r in self.lanes.items()},
            last_event=self.events[-1]["id"], timeout_from=timeout_from or self.events[0]["timestamp"],
            redrive=redrive)


def after(event_type: str, nth: int = 1) -> Callable[[dict], bool]:
    seen = [0]

    def crash(event: dict) -> bool:
        if event["type"] == event_type:
            seen[0] += 1
            return seen[0] == nth
        return False

    return crash


def context(redrive_count: int = 0) -> ExecutionContext:
    ctx = ExecutionContext.local("resume", start_time=NOW)
    ctx.redrive_count = redrive_count
    return ctx


def interpreter(definition: dict, **kwargs: Any) -> Interpreter:
    return Interpreter(parse_definition(definition), client_factory=kwargs.pop("client_factory", None), **kwargs)
