"""The records SageMaker resources keep in the store, and a handle on one of them.

A record is the Describe* answer as AWS shapes it (a dict, since the protocol
layer serialises it from botocore's output shape), plus a private ``_local``
part that only the server reads. ``_local`` is typed here so that what the
server keeps beside the AWS fields is written down once.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

from workflow.local.sagemaker.statuses import Store, settle

Record = dict[str, Any]


class TrainingLocal(TypedDict):
    """``_local`` of a training job: what a restarted server watches it again with."""

    tags: list[dict[str, str]]
    request: Record
    #: The command line of the script, once it started (to find its process again).
    command: NotRequired[list[str]]


class TuningChild(TypedDict):
    """One training job a tuning job launched, in the order it launched them."""

    name: str
    tuned: dict[str, str]
    #: Why CreateTrainingJob refused it (the child then never ran).
    error: NotRequired[str]


class TuningLocal(TypedDict):
    """``_local`` of a tuning job: its request and its children, to take it up again."""

    tags: list[dict[str, str]]
    request: Record
    children: list[TuningChild]


@dataclass(frozen=True)
class RecordHandle:
    """One record of the store, for a thread that owns the resource (a job's runner)."""

    store: Store
    kind: str
    key: str

    def get(self) -> Record | None:
        return self.store.get(self.kind, self.key)

    def update(self, change: Callable[[Record], Any]) -> Record | None:
        return self.store.update(self.kind, self.key, change)

    def settle(self, status_key: str, change: Callable[[Record], None]) -> bool:
        """``change`` unless the record's status is already final; whether it was applied."""
        return settle(self.store, self.kind, self.key, status_key, change)
