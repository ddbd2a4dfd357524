"""An execution's events and lane records, written to the store in one transaction each.

The engine hands every event with the record of the lane it belongs to (see
``workflow.engine.lanes``); both land together, so after a crash at any instant the
store holds a history and lane records that match, and a restarted server resumes
the execution from them (``snapshot``). The terminal event also closes the execution
document.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from workflow.engine import ExecutionSnapshot, LaneRecord
from workflow.local.store import Store

EXECUTION = "sfn.execution"
#: Lane records, keyed "<execution ARN>#<lane path>".
LANE = "sfn.lane"

#: Terminal event type -> (execution status, the event's details key).
TERMINAL = {
    "ExecutionSucceeded": ("SUCCEEDED", "executionSucceededEventDetails"),
    "ExecutionFailed": ("FAILED", "executionFailedEventDetails"),
    "ExecutionAborted": ("ABORTED", "executionAbortedEventDetails"),
    "ExecutionTimedOut": ("TIMED_OUT", "executionTimedOutEventDetails"),
}

#: ``on_end(status, when, details)``: the execution reached its terminal event.
OnEnd = Callable[[str, datetime, dict[str, Any]], None]


def lane_key(arn: str, path: str) -> str:
    return f"{arn}#{path}"


class StoreJournal:
    """Where the engine writes one execution; after ``close`` it writes nothing more."""

    def __init__(self, store: Store, arn: str, on_end: OnEnd) -> None:
        self.store = store
        self.arn = arn
        self.on_end = on_end
        self.lock = threading.RLock()
        self.closed = False

    def write(self, event: dict | None, path: str | None, record: dict[str, Any] | None) -> None:
        with self.lock:
            if self.closed:
                return
            document = (LANE, lane_key(self.arn, path), record) if path is not None and record is not None else None
            if event is None:
                if document is not None:
                    self.store.put(*document)
                return
            self.store.append_event(self.arn, event, document)
            terminal = TERMINAL.get(event["type"])
            if terminal is not None:
                status, details_key = terminal
                self.on_end(status, event.get("timestamp") or datetime.now(timezone.utc),
                            event.get(details_key) or {})
                self.closed = True

    def close(self) -> bool:
        """Stop writing; False when it was closed already."""
        with self.lock:
            was_open = not self.closed
            self.closed = True
            return was_open


def lanes(store: Store, arn: str) -> dict[str, LaneRecord]:
    prefix = lane_key(arn, "")
    return {key[len(prefix):]: LaneRecord.from_dict(doc) for key, doc in store.items(LANE, prefix)}


def snapshot(store: Store, doc: dict[str, Any], *, redrive: bool) -> ExecutionSnapshot:
    """What the engine needs to continue the execution ``doc`` from the store."""
    arn = doc["executionArn"]
    last = store.events(arn, reverse=True, limit=1)
    return ExecutionSnapshot(
        input=json.loads(doc["input"]), lanes=lanes(store, arn),
        last_event=last[0]["id"] if last else 0,
        timeout_from=doc.get("redriveDate") or doc["startDate"], redrive=redrive)
