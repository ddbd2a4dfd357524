"""Whether an execution can be redriven, and RedriveExecution's client tokens.

The rules are those of the RedriveExecution API reference: the execution is not
RUNNING nor SUCCEEDED, it has not exceeded the redrivable period of 14 days ("This
period starts from the day a state machine completes its execution"), nor the maximum
open time of one year, and its history has fewer than 24,999 events "to accommodate the
ExecutionRedriven history event and at least one other". The reasons are the texts
DescribeExecution's ``redriveStatusReason`` documents.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

REDRIVABLE_PERIOD = timedelta(days=14)
MAX_OPEN_TIME = timedelta(days=365)
MAX_EVENTS = 24_999
#: "The API will return idempotent responses for the last 10 client tokens used to
#: successfully redrive the execution. These client tokens are valid for up to 15 minutes
#: after they are first used."
TOKENS_KEPT = 10
TOKEN_LIFETIME = timedelta(minutes=15)


class RedriveStatus(str, Enum):
    REDRIVABLE = "REDRIVABLE"
    NOT_REDRIVABLE = "NOT_REDRIVABLE"


class Reason(str, Enum):
    DELETING = "State machine is in DELETING status"
    RUNNING = "Execution is RUNNING and cannot be redriven"
    SUCCEEDED = "Execution is SUCCEEDED and cannot be redriven"
    BEFORE_LAUNCH = "Execution was started before the launch of RedriveExecution"
    EVENT_LIMIT = "Execution history event limit exceeded"
    MAX_TIME = "Execution has exceeded the max execution time"
    PERIOD = "Execution redrivable period exceeded"


@dataclass(frozen=True)
class Redrivability:
    status: RedriveStatus
    reason: Reason | None = None

    @property
    def fields(self) -> dict[str, str]:
        """DescribeExecution's redriveStatus and redriveStatusReason."""
        out = {"redriveStatus": self.status.value}
        if self.reason is not None:
            out["redriveStatusReason"] = self.reason.value
        return out


def redrivability(doc: dict[str, Any], *, events: int, machine_exists: bool, now: datetime) -> Redrivability:
    reason = _reason(doc, events, machine_exists, now)
    return Redrivability(RedriveStatus.NOT_REDRIVABLE if reason else RedriveStatus.REDRIVABLE, reason)


def _reason(doc: dict[str, Any], events: int, machine_exists: bool, now: datetime) -> Reason | None:
    if doc["status"] == "RUNNING":
        return Reason.RUNNING
    if doc["status"] == "SUCCEEDED":
        return Reason.SUCCEEDED
    if not doc.get("_journaled"):
        # Executions of a server that kept no lane records cannot be continued.
        return Reason.BEFORE_LAUNCH
    if not machine_exists:
        return Reason.DELETING
    if events >= MAX_EVENTS:
        return Reason.EVENT_LIMIT
    if now - doc["startDate"] > MAX_OPEN_TIME:
        return Reason.MAX_TIME
    if now - (doc.get("stopDate") or now) > REDRIVABLE_PERIOD:
        return Reason.PERIOD
    return None


@dataclass(frozen=True)
class ClientToken:
    token: str
    first_used: datetime
    redrive_date: datetime

    def to_doc(self) -> dict[str, Any]:
        return {"token": self.token, "firstUsed": self.first_used, "redriveDate": self.redrive_date}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> ClientToken:
        return cls(doc["token"], doc["firstUsed"], doc["redriveDate"])


def tokens(doc: dict[str, Any]) -> list[ClientToken]:
    return [ClientToken.from_doc(item) for item in doc.get("_redriveTokens", [])]


def answered(doc: dict[str, Any], token: str | None, now: datetime) -> datetime | None:
    """The redriveDate a redrive with ``token`` already answered, if it still counts."""
    if not token:
        return None
    for item in tokens(doc):
        if item.token == token and now - item.first_used <= TOKEN_LIFETIME:
            return item.redrive_date
    return None


def remember(doc: dict[str, Any], token: str | None, now: datetime) -> None:
    if token:
        kept = [*tokens(doc), ClientToken(token, now, now)][-TOKENS_KEPT:]
        doc["_redriveTokens"] = [item.to_doc() for item in kept]
