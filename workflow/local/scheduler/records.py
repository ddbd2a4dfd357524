"""A schedule and a schedule group as typed records, and their document form in the store."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

DEFAULT_GROUP = "default"
#: RetryPolicy when the request gives none (the API reference's defaults).
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_S = 86400


class ScheduleState(str, Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class WindowMode(str, Enum):
    OFF = "OFF"
    FLEXIBLE = "FLEXIBLE"


class AfterCompletion(str, Enum):
    NONE = "NONE"
    DELETE = "DELETE"


class GroupState(str, Enum):
    ACTIVE = "ACTIVE"
    DELETING = "DELETING"


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    maximum_event_age_s: int = DEFAULT_EVENT_AGE_S


@dataclass(frozen=True)
class Target:
    arn: str
    role_arn: str
    input: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dead_letter_arn: str | None = None


@dataclass(frozen=True)
class FlexibleWindow:
    mode: WindowMode = WindowMode.OFF
    maximum_minutes: int | None = None


@dataclass(frozen=True)
class Schedule:
    name: str
    group: str
    arn: str
    expression: str
    timezone: str
    target: Target
    window: FlexibleWindow
    state: ScheduleState = ScheduleState.ENABLED
    after_completion: AfterCompletion = AfterCompletion.NONE
    description: str | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    kms_key_arn: str | None = None
    created: datetime | None = None
    modified: datetime | None = None

    def with_times(self, created: datetime, modified: datetime) -> Schedule:
        return replace(self, created=created, modified=modified)

    def to_doc(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Schedule:
        target = dict(doc["target"])
        target["retry"] = RetryPolicy(**target["retry"])
        window = doc["window"]
        return cls(**{**doc, "target": Target(**target),
                      "window": FlexibleWindow(WindowMode(window["mode"]), window["maximum_minutes"]),
                      "state": ScheduleState(doc["state"]),
                      "after_completion": AfterCompletion(doc["after_completion"])})

    def to_api(self) -> dict[str, Any]:
        """GetSchedule's output members."""
        target: dict[str, Any] = {
            "Arn": self.target.arn, "RoleArn": self.target.role_arn,
            "RetryPolicy": {"MaximumRetryAttempts": self.target.retry.maximum_retry_attempts,
                            "MaximumEventAgeInSeconds": self.target.retry.maximum_event_age_s}}
        if self.target.input is not None:
            target["Input"] = self.target.input
        if self.target.dead_letter_arn:
            target["DeadLetterConfig"] = {"Arn": self.target.dead_letter_arn}
        window: dict[str, Any] = {"Mode": self.window.mode.value}
        if self.window.maximum_minutes is not None:
            window["MaximumWindowInMinutes"] = self.window.maximum_minutes
        answer = {
            "Arn": self.arn, "Name": self.name, "GroupName": self.group,
            "ScheduleExpression": self.expression, "ScheduleExpressionTimezone": self.timezone,
            "State": self.state.value, "Target": target, "FlexibleTimeWindow": window,
            "ActionAfterCompletion": self.after_completion.value, "Description": self.description,
            "StartDate": self.start_date, "EndDate": self.end_date, "KmsKeyArn": self.kms_key_arn,
            "CreationDate": self.created, "LastModificationDate": self.modified,
        }
        return {k: v for k, v in answer.items() if v is not None}

    def summary(self) -> dict[str, Any]:
        """ListSchedules' ScheduleSummary."""
        return {"Arn": self.arn, "Name": self.name, "GroupName": self.group, "State": self.state.value,
                "CreationDate": self.created, "LastModificationDate": self.modified,
                "Target": {"Arn": self.target.arn}}


@dataclass(frozen=True)
class ScheduleGroup:
    name: str
    arn: str
    created: datetime
    modified: datetime
    state: GroupState = GroupState.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return _plain(asdict(self))

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ScheduleGroup:
        return cls(**{**doc, "state": GroupState(doc["state"])})

    def to_api(self) -> dict[str, Any]:
        return {"Arn": self.arn, "Name": self.name, "State": self.state.value,
                "CreationDate": self.created, "LastModificationDate": self.modified}


def _plain(value: Any) -> Any:
    """Enums as their values, so the store's JSON holds text."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
