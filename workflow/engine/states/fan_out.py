"""Running Parallel branches and Map iterations side by side with fail-fast semantics."""
from __future__ import annotations

import threading
from typing import Any, Callable

from ..errors import ExecutionStopped, FailureError
from ..history import Lane
from ..jsonata_expressions import release_thread
from ..runtime import CancelScope, Frame

# Inline Map with MaxConcurrency 0 means "as many as possible"; threads are capped so a
# 10,000-item array does not start 10,000 threads.
MAX_WORKERS = 40

Body = Callable[[int, Frame], Any]
OnAbort = Callable[[int, Frame], None]


def run_children(frame: Frame, count: int, body: Body, max_concurrency: int = 0,
                 on_abort: OnAbort | None = None) -> list[Any]:
    """Run ``body(index, child_frame)`` for each index; results in index order.

    The first failure cancels the others (their ``on_abort`` runs) and is re-raised;
    a stop of the whole execution unwinds with ExecutionStopped.
    """
    results: list[Any] = [None] * count
    if count == 0:
        return results
    group = CancelScope(frame.scope)
    start = frame.lane.last
    failures: list[tuple[int, FailureError]] = []
    lock = threading.Lock()
    next_index = [0]
    workers = min(count, max_concurrency if max_concurrency > 0 else MAX_WORKERS)
    sequential = workers == 1
    # Run one after the other, each child's first event follows the previous child's
    # last state event; run side by side, each links to the state's Started event.
    previous = Lane(start)

    def run_one(index: int) -> None:
        lane = Lane(previous.last) if sequential else Lane(start)
        child = Frame(frame.runtime, lane, CancelScope(group), None, frame.variables.child())
        try:
            results[index] = body(index, child)
            if sequential:
                previous.last = lane.last
        except FailureError as failure:
            with lock:
                failures.append((index, failure))
            group.cancel()
        except ExecutionStopped:
            if on_abort is not None and not frame.scope.cancelled and failures:
                try:
                    on_abort(index, child)
                except ExecutionStopped:
                    pass

    def worker() -> None:
        while True:
            with lock:
                index = next_index[0]
                if index >= count or group.cancelled:
                    return
                next_index[0] += 1
            run_one(index)

    def thread_worker() -> None:
        try:
            worker()
        finally:
            release_thread()

    if sequential:
        worker()
    else:
        threads = [threading.Thread(target=thread_worker, daemon=True) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    # The state's next event follows the last event of its branches.
    frame.lane.last = frame.runtime.history.count
    if frame.scope.cancelled:
        raise ExecutionStopped()
    if failures:
        failures.sort(key=lambda item: item[0])
        raise failures[0][1]
    return results
