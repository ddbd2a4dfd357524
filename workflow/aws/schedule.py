"""The retraining schedule: an EventBridge Scheduler schedule that starts the state machine.

The expression is checked here before anything is deployed, so a typo is a
clear error on the command line instead of a failed stack update.
"""
from __future__ import annotations

import json
import re

from workflow.aws.iam import Json, role, statement
from workflow.aws.settings import SettingsError, StackSettings

_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>minutes?|hours?|days?)\)$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,\-LW#]+$")
_AT = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")
EXAMPLES = 'e.g. "rate(7 days)", "rate(12 hours)" or "cron(0 3 ? * SUN *)"'


class ScheduleError(SettingsError):
    pass


def validate_expression(expression: str) -> str:
    """``rate(N unit)`` or six-field ``cron(...)``, as EventBridge Scheduler accepts them."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        if value < 1:
            raise ScheduleError(f"ValidationException: --schedule {expression!r}: the rate must be at least 1")
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"ValidationException: --schedule {expression!r}: write 'rate(1 {unit.rstrip('s')})'"
                                f" for one and 'rate({value} {unit.rstrip('s')}s)' for more")
        return text
    if text.startswith("cron(") and text.endswith(")"):
        fields = text[5:-1].split()
        if len(fields) != 6 or not all(_CRON_FIELD.match(f) for f in fields):
            raise ScheduleError(f"ValidationException: --schedule {expression!r}: cron needs six fields "
                                "(minutes hours day-of-month month day-of-week year), " + EXAMPLES)
        if fields[2] != "?" and fields[4] != "?":
            raise ScheduleError(f"ValidationException: --schedule {expression!r}: one of day-of-month and "
                                "day-of-week must be '?'")
        return text
    if _AT.match(text):
        return text
    raise ScheduleError(f"ValidationException: --schedule {expression!r} is not a schedule expression; {EXAMPLES}")


def resources(settings: StackSettings) -> dict[str, Json]:
    if not settings.schedule_expression:
        return {}
    validate_expression(settings.schedule_expression)
    json.loads(settings.schedule_input)  # stored as text; it must be JSON
    return {
        "SchedulerRole": role(
            f"Lets EventBridge Scheduler start executions of {settings.resource_prefix}.",
            "scheduler.amazonaws.com", "start-execution",
            [statement("StartRetraining", ["states:StartExecution"], {"Ref": "StateMachine"})]),
        "RetrainingSchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": {
                "Name": f"{settings.resource_prefix}-retrain",
                "Description": "Retrain, evaluate and redeploy the dog-breed classifier",
                "ScheduleExpression": settings.schedule_expression,
                "ScheduleExpressionTimezone": "UTC",
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "Target": {
                    "Arn": {"Ref": "StateMachine"},
                    "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
                    "Input": settings.schedule_input,
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
                },
            },
        },
    }
