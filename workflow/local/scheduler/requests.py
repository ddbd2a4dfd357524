"""CreateSchedule / UpdateSchedule parameters -> a ``Schedule``, checked as the Scheduler
API checks them; every refusal is a ``ValidationException`` that names the field."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.scheduler.expressions import AtExpression, parse_expression, parse_timezone
from workflow.local.scheduler.records import (
    DEFAULT_EVENT_AGE_S,
    DEFAULT_GROUP,
    DEFAULT_RETRY_ATTEMPTS,
    AfterCompletion,
    FlexibleWindow,
    RetryPolicy,
    Schedule,
    ScheduleState,
    Target,
    WindowMode,
)

#: The API's pattern for schedule and group names.
NAME = re.compile(r"^[0-9a-zA-Z\-_.]{1,64}$")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_STATE_MACHINE = re.compile(r"^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$")


def check_name(value: str, field: str) -> str:
    if not NAME.match(value):
        raise ValidationException(f"{field} {value!r} must be 1-64 letters, digits, '-', '_' or '.'")
    return value


def _required(params: dict[str, Any], path: str) -> Any:
    value: Any = params
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    if value in (None, ""):
        raise ValidationException(f"Missing required parameter: {path}")
    return value


def _target(params: dict[str, Any]) -> Target:
    arn = _required(params, "Target.Arn")
    role = _required(params, "Target.RoleArn")
    spec = params["Target"]
    if not _ROLE.match(role):
        raise ValidationException(f"Target.RoleArn {role!r} is not an IAM role ARN")
    if not _STATE_MACHINE.match(arn):
        # The local Scheduler invokes the targets this pipeline uses; refusing the others
        # here beats accepting a schedule that could never run.
        raise ValidationException(
            f"Target.Arn {arn!r}: the local Scheduler's targets are Step Functions state machines "
            "(arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)")
    for other in ("EcsParameters", "EventBridgeParameters", "KinesisParameters",
                  "SageMakerPipelineParameters", "SqsParameters"):
        if other in spec:
            raise ValidationException(f"Target.{other} does not apply to a Step Functions target")
    retry = spec.get("RetryPolicy") or {}
    return Target(
        arn=arn, role_arn=role, input=spec.get("Input"),
        retry=RetryPolicy(int(retry.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)),
                          int(retry.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_S))),
        dead_letter_arn=(spec.get("DeadLetterConfig") or {}).get("Arn"))


def _window(params: dict[str, Any]) -> FlexibleWindow:
    mode = WindowMode(_required(params, "FlexibleTimeWindow.Mode"))
    minutes = params["FlexibleTimeWindow"].get("MaximumWindowInMinutes")
    if mode is WindowMode.FLEXIBLE and minutes is None:
        raise ValidationException(
            "FlexibleTimeWindow.MaximumWindowInMinutes is required when FlexibleTimeWindow.Mode is FLEXIBLE")
    if mode is WindowMode.OFF and minutes is not None:
        raise ValidationException(
            "FlexibleTimeWindow.MaximumWindowInMinutes must not be set when FlexibleTimeWindow.Mode is OFF")
    return FlexibleWindow(mode, minutes)


def schedule_from_params(params: dict[str, Any], arn_for: Any, now: datetime) -> Schedule:
    """``arn_for(group, name)`` names the schedule; ``now`` judges EndDate."""
    name = check_name(_required(params, "Name"), "Name")
    group = check_name(params.get("GroupName") or DEFAULT_GROUP, "GroupName")
    expression_text = _required(params, "ScheduleExpression")
    expression = parse_expression(expression_text)
    zone_name = params.get("ScheduleExpressionTimezone") or "UTC"
    parse_timezone(zone_name)
    start, end = params.get("StartDate"), params.get("EndDate")
    if start is not None and end is not None and end <= start:
        raise ValidationException("EndDate must be after StartDate")
    if end is not None and end <= now and not isinstance(expression, AtExpression):
        raise ValidationException("EndDate must be in the future")
    return Schedule(
        name=name, group=group, arn=arn_for(group, name), expression=expression_text,
        timezone=zone_name, target=_target(params), window=_window(params),
        state=ScheduleState(params.get("State") or "ENABLED"),
        after_completion=AfterCompletion(params.get("ActionAfterCompletion") or "NONE"),
        description=params.get("Description"), start_date=start, end_date=end,
        kms_key_arn=params.get("KmsKeyArn"))
