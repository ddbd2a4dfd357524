"""Injectable time: the system clock for real runs, a virtual one that tests control.

Every wait of the engine goes through ``Clock.sleep`` with a cancel event, so a stop
interrupts it, and a ``VirtualClock`` makes Wait states and Retry back-off instant while
keeping event timestamps deterministic.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        """Wait ``seconds``; return True when ``cancel`` was set before the time was up."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        if seconds <= 0:
            return cancel.is_set()
        return cancel.wait(seconds)


class VirtualClock:
    """Time only moves when the engine sleeps (or a test calls ``advance``)."""

    def __init__(self, start: datetime | None = None, tick: float = 0.0) -> None:
        self._now = start or datetime(2024, 1, 1, tzinfo=timezone.utc)
        self._tick = timedelta(seconds=tick)
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            value = self._now
            self._now += self._tick
            return value

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)

    def sleep(self, seconds: float, cancel: threading.Event) -> bool:
        if cancel.is_set():
            return True
        with self._lock:
            self.sleeps.append(seconds)
            self._now += timedelta(seconds=max(seconds, 0.0))
        return cancel.is_set()
