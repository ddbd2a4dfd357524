"""A part's running jobs until they end, and who to tell when one does (a tuning job, a
Step Functions task)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Run = TypeVar("Run")


class FinishedListeners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Callable[[str], None]] = []

    def add(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(job_name)`` whenever a job reaches its final status."""
        with self._lock:
            self._listeners.append(listener)

    def notify(self, name: str) -> None:
        """Tell every listener; one that fails is logged, and neither the others nor the
        job (which has ended all the same) suffer for it."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(name)
            except Exception:
                log.exception("a listener of %s's end failed", name)


class JobRuns(Generic[Run]):
    """The runs of one part's jobs by job name, safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}
        self.listeners = FinishedListeners()

    def add(self, name: str, run: Run) -> Run:
        with self._lock:
            self._runs[name] = run
        return run

    def get(self, name: str) -> Run | None:
        with self._lock:
            return self._runs.get(name)

    def all(self) -> list[Run]:
        with self._lock:
            return list(self._runs.values())

    def ended(self, name: str) -> None:
        """The job ``name`` reached its final status: its run is done; the listeners hear of it."""
        with self._lock:
            self._runs.pop(name, None)
        self.listeners.notify(name)
