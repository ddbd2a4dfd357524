"""Who to tell when a job reaches its final status (a tuning job, a Step Functions task)."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


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
