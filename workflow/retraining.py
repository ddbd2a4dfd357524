"""The retraining schedule, built once for both places it runs: the CloudFormation
template's ``AWS::Scheduler::Schedule`` and a CreateSchedule call (the local server's
Scheduler, or AWS's through ``deploy_workflow.py schedule create``).

The stored input carries the schedule's ARN and due time as EventBridge Scheduler context
attributes, so each execution a schedule starts says so in its input, on AWS and locally.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.scheduler.expressions import parse_expression, parse_timezone

#: Placeholders EventBridge Scheduler replaces when it invokes the target.
SCHEDULE_MARK = {"schedule_arn": "<aws.scheduler.schedule-arn>",
                 "scheduled_time": "<aws.scheduler.scheduled-time>"}
DESCRIPTION = "Retrain, evaluate and redeploy the dog-breed classifier"
#: A failed start is tried again for an hour, three times at most.
RETRY = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}


class ScheduleError(ValueError):
    """A schedule expression, time zone or stored input that EventBridge Scheduler refuses."""


@dataclass(frozen=True)
class RetrainingSchedule:
    name: str
    expression: str
    timezone: str
    input: str  # the stored execution input, JSON text with the context attributes
    start_date: datetime | None = None

    def properties(self, state_machine: Any, role: Any) -> dict[str, Any]:
        """CreateSchedule's parameters, which are also the CloudFormation resource's
        properties; ``state_machine`` and ``role`` are ARNs or CloudFormation references."""
        props: dict[str, Any] = {
            "Name": self.name, "Description": DESCRIPTION, "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone, "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": {"Arn": state_machine, "RoleArn": role, "Input": self.input, "RetryPolicy": RETRY},
        }
        if self.start_date is not None:
            props["StartDate"] = self.start_date
        return props


def schedule_name(resource_prefix: str) -> str:
    return f"{resource_prefix}-retrain"


def retraining_schedule(resource_prefix: str, expression: str, stored_input: dict[str, Any], *,
                        timezone: str = "UTC", start_date: datetime | None = None) -> RetrainingSchedule:
    """Checks the expression and time zone as EventBridge Scheduler does (``ScheduleError``)."""
    try:
        parse_expression(expression.strip())
        parse_timezone(timezone)
    except ValidationException as err:
        raise ScheduleError(f"ValidationException: --schedule {expression!r}: {err.message}") from None
    document = {**stored_input, "schedule": SCHEDULE_MARK}
    return RetrainingSchedule(schedule_name(resource_prefix), expression.strip(), timezone,
                              json.dumps(document, sort_keys=True, separators=(",", ":")), start_date)


def stored_input(schedule_input: str) -> dict[str, Any]:
    """A schedule's stored input as an execution started by hand takes it: without the
    scheduler's own marks, which only EventBridge Scheduler fills in."""
    document = json.loads(schedule_input)
    document.pop("schedule", None)
    return document
