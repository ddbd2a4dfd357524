"""The retraining schedule in the CloudFormation template: the schedule that
``workflow.retraining`` builds (the same the local server runs), and the role it assumes.

The expression is checked before anything is deployed, so a typo is a clear error on the
command line instead of a failed stack update.
"""
from __future__ import annotations

import json

from workflow.aws.iam import Json, role, statement
from workflow.aws.settings import SettingsError, StackSettings
from workflow.retraining import ScheduleError as _Refused
from workflow.retraining import retraining_schedule


class ScheduleError(SettingsError):
    pass


def validate_expression(expression: str, timezone: str = "UTC") -> str:
    """``rate()``, ``cron()`` or ``at()`` as EventBridge Scheduler accepts them."""
    try:
        return retraining_schedule("check", expression, {}, timezone=timezone).expression
    except _Refused as err:
        raise ScheduleError(str(err)) from None


def resources(settings: StackSettings) -> dict[str, Json]:
    if not settings.schedule_expression:
        return {}
    validate_expression(settings.schedule_expression)
    schedule = retraining_schedule(settings.resource_prefix, settings.schedule_expression,
                                   json.loads(settings.schedule_input))
    return {
        "SchedulerRole": role(
            f"Lets EventBridge Scheduler start executions of {settings.resource_prefix}.",
            "scheduler.amazonaws.com", "start-execution",
            [statement("StartRetraining", ["states:StartExecution"], {"Ref": "StateMachine"})]),
        "RetrainingSchedule": {
            "Type": "AWS::Scheduler::Schedule",
            "Properties": schedule.properties({"Ref": "StateMachine"},
                                              {"Fn::GetAtt": ["SchedulerRole", "Arn"]}),
        },
    }
