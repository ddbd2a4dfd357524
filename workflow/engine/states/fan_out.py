"""Running Parallel branches and Map iterations side by side with fail-fast semantics."""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, cast

from ..errors import ExecutionStopped, FailureError
from ..execution import CancelScope, Frame
from ..history import Lane
from ..jsonata_expressions import release_thread
from ..lanes import LaneRecord, Step, child_path

# Inline Map with MaxConcurrency 0 means "as many as possible"; threads are capped so a
# 10,000-item array does not start 10,000 threads.
MAX_WORKERS = 40

Body = Callable[[int, Frame], Any]
OnAbort = Callable[[int, Frame], None]


def run_children(frame: Frame, count: int, body: Body, max_concurrency: int = 0,
                 on_abort: OnAbort | None = None) -> list[Any]:
    """Run ``body(index, child_frame)`` for each index; results in index order.

    The first failure cancels the others (their ``on_abort`` runs) and is re-raised;
    a stop of the whole execution unwinds with ExecutionStopped. In a resumed execution
    the children that had ended keep their outcome and the others continue their lanes
    (the body sees ``child_frame.resuming``).
    """
    results: list[Any] = [None] * count
    if count == 0:
        return results
    group = CancelScope(frame.scope)
    start = frame.lane.last
    failures: list[tuple[int, FailureError]] = []
    lock = threading.Lock()
    fan_out = frame.record.fan_out
    restored, pending = _restored_children(frame, count, results, failures)
    if failures and on_abort is not None:
        # It was failing when its host stopped: what still ran was being aborted.
        for index in (i for i in pending if i in restored):
            on_abort(index, _child(frame, group, restored[index], start, fan_out, index))
        pending = []
    next_index = [0]
    workers = min(len(pending), max_concurrency if max_concurrency > 0 else MAX_WORKERS)
    sequential = workers == 1
    # Run one after the other, each child's first event follows the previous child's
    # last state event; run side by side, each links to the state's Started event.
    previous = Lane(start)

    def run_one(index: int) -> None:
        child = _child(frame, group, restored.get(index), previous.last if sequential else start,
                       fan_out, index)
        try:
            results[index] = body(index, child)
            if sequential:
                previous.last = child.lane.last
        except FailureError as failure:
            with lock:
                failures.append((index, failure))
            group.cancel()
        except ExecutionStopped:
            if on_abort is not None and not frame.scope.cancelled and failures:
                with contextlib.suppress(ExecutionStopped):
                    on_abort(index, child)

    def worker() -> None:
        while (index := _take(lock, next_index, pending, group)) is not None:
            run_one(index)

    if sequential:
        worker()
    elif workers:
        _in_threads(worker, workers)
    # The state's next event follows the last event of its branches.
    frame.lane.last = frame.execution.history.count
    if frame.scope.cancelled:
        raise ExecutionStopped()
    if failures:
        failures.sort(key=lambda item: item[0])
        raise failures[0][1]
    return results


def _take(lock: threading.Lock, next_index: list[int], pending: list[int], group: CancelScope) -> int | None:
    """The next child to run; None once every one has started or the group is cancelled."""
    with lock:
        position = next_index[0]
        if position >= len(pending) or group.cancelled:
            return None
        next_index[0] += 1
    return pending[position]


def _in_threads(worker: Callable[[], None], workers: int) -> None:
    """``worker`` in ``workers`` threads at once, until every one returns."""
    def thread_worker() -> None:
        try:
            worker()
        finally:
            release_thread()

    threads = [threading.Thread(target=thread_worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _child(frame: Frame, group: CancelScope, record: LaneRecord | None, last: int, fan_out: int,
           index: int) -> Frame:
    """A branch's or iteration's frame: its own lane and variable scope inside ``frame``'s."""
    child = Frame(frame.execution, Lane(last, child_path(frame.lane.path or "", fan_out, index)),
                  CancelScope(group), None, frame.variables.child())
    if record is not None:
        child.restore(record, frame.variables)
    return child


def _restored_children(frame: Frame, count: int, results: list[Any],
                       failures: list[tuple[int, FailureError]]) -> tuple[dict[int, LaneRecord], list[int]]:
    """The children a resumed fan-out continues, and the indexes still to run."""
    execution = frame.execution
    if not execution.restored:
        return {}, list(range(count))
    restored: dict[int, LaneRecord] = {}
    pending: list[int] = []
    parent = frame.lane.path or ""
    fan_out = frame.record.fan_out
    for index in range(count):
        record = execution.take_restored(child_path(parent, fan_out, index))
        if record is None:
            pending.append(index)
            continue
        restored[index] = record
        if record.step is Step.DONE:
            results[index] = record.output
        elif record.step is Step.FAILED:
            failures.append((index, FailureError(record.error, record.cause)))
        elif record.step is not Step.ABORTED:
            pending.append(index)
    return restored, pending


def fan_out(frame: Frame, resuming: LaneRecord | None, prefix: str, details: dict[str, Any] | None,
            run: Callable[[], list[Any]]) -> list[Any]:
    """A Map or Parallel state's Started ... Succeeded/Failed events around ``run()``, and
    the step its lane records; a resumed state goes on from where it stood."""
    record = frame.record
    if resuming is not None and resuming.step is Step.RESULT:
        return cast("list[Any]", resuming.output)
    if resuming is None or resuming.step is not Step.FAN_OUT:
        record.step = Step.FAN_OUT
        frame.emit(prefix + "StateStarted", details)  # the history notes it as record.fan_out
    try:
        outputs = run()
    except FailureError as failure:
        record.failed(failure.error, failure.cause, frame.execution.clock.now())
        frame.emit(prefix + "StateFailed")
        raise
    record.step, record.output = Step.RESULT, outputs
    frame.emit_unlinked(prefix + "StateSucceeded")
    return outputs
