"""What a schedule will do and has done, read through the public APIs (the local server's
or AWS's): its next firing time and the executions it started."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.scheduler.expressions import next_invocation, parse_expression, parse_timezone

#: How many of a schedule's executions to show.
RECENT = 5


@dataclass(frozen=True)
class ScheduledExecution:
    name: str
    arn: str
    status: str
    start: datetime


@dataclass(frozen=True)
class ScheduleStatus:
    name: str
    group: str
    arn: str
    expression: str
    timezone: str
    state: str
    target_arn: str
    next_firing: datetime | None
    executions: list[ScheduledExecution] = field(default_factory=list)


def next_firing(schedule: dict[str, Any], now: datetime | None = None) -> datetime | None:
    """When a GetSchedule answer fires next (None: disabled, done, or not understood here).
    A flexible window may move it later, by at most its MaximumWindowInMinutes."""
    if schedule.get("State") != "ENABLED":
        return None
    now = now or datetime.now(timezone.utc)
    try:
        expression = parse_expression(schedule["ScheduleExpression"])
        zone = parse_timezone(schedule.get("ScheduleExpressionTimezone") or "UTC")
    except ValidationException:
        return None
    anchor = schedule.get("LastModificationDate") or schedule.get("CreationDate") or now
    return next_invocation(expression, zone, after=now, anchor=anchor, start=schedule.get("StartDate"),
                           end=schedule.get("EndDate"))


def started_by(sfn: Any, schedule_name: str, state_machine_arn: str) -> list[ScheduledExecution]:
    """Executions whose name the schedule gave them (``<schedule name>-<due time>``)."""
    found = []
    try:
        page = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=100)
    except sfn.exceptions.ClientError:  # the target is gone
        return []
    for execution in page["executions"]:
        if execution["name"].startswith(schedule_name + "-"):
            found.append(ScheduledExecution(execution["name"], execution["executionArn"],
                                            execution["status"], execution["startDate"]))
    return found[:RECENT]


def schedule_statuses(scheduler: Any, sfn: Any, now: datetime | None = None) -> list[ScheduleStatus]:
    out = []
    for page in scheduler.get_paginator("list_schedules").paginate():
        for summary in page["Schedules"]:
            schedule = scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
            target = schedule["Target"]["Arn"]
            out.append(ScheduleStatus(
                schedule["Name"], schedule["GroupName"], schedule["Arn"], schedule["ScheduleExpression"],
                schedule.get("ScheduleExpressionTimezone") or "UTC", schedule["State"], target,
                next_firing(schedule, now),
                started_by(sfn, schedule["Name"], target) if ":stateMachine:" in target else []))
    return out
