"""A value that belongs to the request being served (its caller, its credential scope).

Each request runs on its own thread, so a context variable holds the value, set while the
backend serves the request; outside any request it reads as its default.
"""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class RequestLocal(Generic[T]):
    def __init__(self, name: str, default: T) -> None:
        self._var: contextvars.ContextVar[T] = contextvars.ContextVar(name, default=default)

    def current(self) -> T:
        return self._var.get()

    @contextmanager
    def serving(self, value: T) -> Iterator[None]:
        """``value`` is current inside the block."""
        token = self._var.set(value)
        try:
            yield
        finally:
            self._var.reset(token)
