"""The statuses SageMaker resources go through, and the rule that a final one is final.

The enums are ``StrEnum``s: a stored record and the wire keep the plain strings
AWS uses ("Completed"), and a status read back from the store compares equal to
its member.
"""
from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol


class JobStatus(StrEnum):
    """TrainingJobStatus and HyperParameterTuningJobStatus (the same five values)."""

    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


#: A job in one of these has ended: nothing may change its status again.
TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED})


class EndpointStatus(StrEnum):
    CREATING = "Creating"
    UPDATING = "Updating"
    SYSTEM_UPDATING = "SystemUpdating"
    ROLLING_BACK = "RollingBack"
    IN_SERVICE = "InService"
    DELETING = "Deleting"
    FAILED = "Failed"


class RuleStatus(StrEnum):
    """RuleEvaluationStatus of a Debugger or Profiler rule."""

    IN_PROGRESS = "InProgress"
    NO_ISSUES_FOUND = "NoIssuesFound"
    ISSUES_FOUND = "IssuesFound"
    ERROR = "Error"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


class Store(Protocol):
    """The part of the server's document store a resource's owner uses."""

    def get(self, kind: str, key: str) -> dict[str, Any] | None: ...

    def update(self, kind: str, key: str,
               change: Callable[[dict[str, Any]], Any]) -> dict[str, Any] | None: ...


def settle(store: Store, kind: str, key: str, status_key: str,
           change: Callable[[dict[str, Any]], None]) -> bool:
    """Apply ``change`` to a job record unless its ``status_key`` is already final.

    Returns whether it was applied: the caller tells listeners only then, so a job
    that reached Completed can neither become Failed nor be announced twice.
    """
    applied = False

    def guarded(doc: dict[str, Any]) -> None:
        nonlocal applied
        if doc.get(status_key) in TERMINAL:
            return
        change(doc)
        applied = True

    store.update(kind, key, guarded)
    return applied
