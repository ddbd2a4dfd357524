"""Task tokens of the callback pattern (``.waitForTaskToken``).

The Task calls its service with ``$$.Task.Token`` in the parameters, then waits until
someone answers with SendTaskSuccess / SendTaskFailure (or heartbeats).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


class UnknownToken(KeyError):
    pass


@dataclass
class Waiter:
    event: threading.Event = field(default_factory=threading.Event)
    output: Any = None
    error: tuple[str, str | None] | None = None
    heartbeats: int = 0


class CallbackRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, Waiter] = {}

    def open(self, token: str) -> Waiter:
        with self._lock:
            waiter = self._waiters[token] = Waiter()
            return waiter

    def close(self, token: str) -> None:
        with self._lock:
            self._waiters.pop(token, None)

    def _get(self, token: str) -> Waiter:
        with self._lock:
            waiter = self._waiters.get(token)
        if waiter is None:
            raise UnknownToken(token)
        return waiter

    def succeed(self, token: str, output: Any) -> None:
        waiter = self._get(token)
        waiter.output = output
        waiter.event.set()

    def fail(self, token: str, error: str, cause: str | None) -> None:
        waiter = self._get(token)
        waiter.error = (error, cause)
        waiter.event.set()

    def heartbeat(self, token: str) -> None:
        self._get(token).heartbeats += 1
