"""The statuses SageMaker resources go through, and which of a job's are final.

The enums are ``StrEnum``s: a stored record and the wire keep the plain strings
AWS uses ("Completed"), and a status read back from the store compares equal to
its member.
"""
from __future__ import annotations

from enum import StrEnum


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
