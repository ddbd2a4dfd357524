"""Typed access to SageMaker's records in the store: a table per kind, a handle per record.

The store holds JSON documents; these are the one place such a document becomes one of
the records ``records.py`` and ``hosting/records.py`` describe.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from workflow.local.errors import ServiceError
from workflow.local.sagemaker.statuses import TERMINAL
from workflow.local.store import Store

#: A record type: a TypedDict of ``records.py`` or ``hosting/records.py``.
R = TypeVar("R", bound=Mapping[str, Any])


@dataclass(frozen=True)
class RecordTable(Generic[R]):
    """The records of one kind in the store."""

    store: Store
    kind: str

    def get(self, key: str) -> R | None:
        return cast("R | None", self.store.get(self.kind, key))

    def require(self, key: str, missing: Callable[[], ServiceError]) -> R:
        """The record ``key``; ``missing()`` is raised when there is none."""
        doc = self.get(key)
        if doc is None:
            raise missing()
        return doc

    def list(self) -> list[R]:
        return cast("list[R]", self.store.list(self.kind))

    def insert(self, key: str, doc: R) -> bool:
        """Store ``doc`` unless ``key`` exists; whether it was stored."""
        return self.store.insert(self.kind, key, cast("dict[str, Any]", doc))

    def update(self, key: str, change: Callable[[R], object]) -> R | None:
        """``change`` the record in one transaction (its result is ignored); the record as
        stored, None when there is none."""
        return cast("R | None", self.store.update(self.kind, key, _mutation(change)))

    def delete(self, key: str) -> bool:
        return self.store.delete(self.kind, key)

    def handle(self, key: str) -> RecordHandle[R]:
        return RecordHandle(self.store, self.kind, key)


@dataclass(frozen=True)
class RecordHandle(Generic[R]):
    """One record of the store, for a thread that owns the resource (a job's runner)."""

    store: Store
    kind: str
    key: str

    def get(self) -> R | None:
        return RecordTable[R](self.store, self.kind).get(self.key)

    def update(self, change: Callable[[R], object]) -> R | None:
        return RecordTable[R](self.store, self.kind).update(self.key, change)

    def settle(self, status_key: str, change: Callable[[R], None]) -> bool:
        """Apply ``change`` unless the record's ``status_key`` is already final; whether it was.

        The caller tells listeners only then, so a job that reached Completed can neither
        become Failed nor be announced twice.
        """
        applied = False

        def guarded(doc: R) -> None:
            nonlocal applied
            if doc.get(status_key) in TERMINAL:
                return
            change(doc)
            applied = True

        self.update(guarded)
        return applied


def _mutation(change: Callable[[R], object]) -> Callable[[dict[str, Any]], None]:
    """``change`` as the store calls it: on the stored document, which it changes in place."""
    def apply(doc: dict[str, Any]) -> None:
        change(cast("R", doc))

    return apply
