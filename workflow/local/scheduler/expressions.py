"""Schedule expressions (``rate()``, ``cron()``, ``at()``) and when a schedule fires next.

As the Scheduler user guide's "Schedule types" page says: a rate schedule starts at its
StartDate (or at once when it has none) and repeats every fixed duration, a day being 24
hours whatever the clocks do; a cron schedule fires at wall-clock times in its time zone;
a one-time ``at()`` schedule fires once at a wall-clock time in its time zone and ignores
StartDate and EndDate. No schedule fires after its EndDate.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflow.local.errors import ValidationException
from workflow.local.scheduler.cron import CronExpression, parse_cron

_RATE = re.compile(r"^rate\((?P<value>[0-9]+) (?P<unit>minutes?|hours?|days?)\)$")
_AT = re.compile(r"^at\((?P<when>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_CRON = re.compile(r"^cron\((?P<body>[^()]*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class RateExpression:
    text: str
    period: timedelta


@dataclass(frozen=True)
class AtExpression:
    text: str
    wall: datetime  # naive: read in the schedule's time zone


Expression = RateExpression | AtExpression | CronExpression


def parse_expression(text: str) -> Expression:
    """The expression, or ``ValidationException`` naming ScheduleExpression."""
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate["value"]), rate["unit"].rstrip("s")
        if value < 1:
            raise ValidationException(
                f"Invalid Schedule Expression {text}: ScheduleExpression rate value must be a positive "
                "integer")
        if (value == 1) == rate["unit"].endswith("s"):
            # As EventBridge's rate expressions reference says: singular for 1, plural above.
            raise ValidationException(
                f"Invalid Schedule Expression {text}: ScheduleExpression takes rate(1 {unit}) for one "
                f"and rate({max(value, 2)} {unit}s) for more")
        return RateExpression(text, timedelta(seconds=value * _UNIT_SECONDS[unit]))
    at = _AT.match(text)
    if at:
        try:
            return AtExpression(text, datetime.fromisoformat(at["when"]))
        except ValueError:
            raise ValidationException(
                f"Invalid Schedule Expression {text}: ScheduleExpression at() is not a valid date "
                "and time") from None
    cron = _CRON.match(text)
    if cron:
        return parse_cron(text, cron["body"])
    raise ValidationException(
        f"Invalid Schedule Expression {text}: ScheduleExpression must be rate(value unit), "
        "cron(fields) or at(yyyy-mm-ddThh:mm:ss)")


def parse_timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationException(
            f"Invalid time zone {name!r}: ScheduleExpressionTimezone must be an IANA time zone name "
            "such as UTC or Europe/Paris") from None


def at_instant(expression: AtExpression, zone: ZoneInfo) -> datetime:
    return expression.wall.replace(tzinfo=zone).astimezone(timezone.utc)


def next_invocation(expression: Expression, zone: ZoneInfo, *, after: datetime, anchor: datetime,
                    start: datetime | None = None, end: datetime | None = None,
                    inclusive: bool = False) -> datetime | None:
    """The first time the schedule fires after ``after`` (at it, with ``inclusive``), or None.

    ``anchor`` is where a rate schedule without StartDate counts from: the time it was
    created or last changed.
    """
    if isinstance(expression, AtExpression):
        when = at_instant(expression, zone)
        return when if when > after or (inclusive and when == after) else None
    if start is not None and start > after:
        after, inclusive = start, True
    if isinstance(expression, RateExpression):
        origin = start or anchor
        if after < origin or (inclusive and after == origin):
            found: datetime | None = origin
        else:
            periods = (after - origin) // expression.period
            found = origin + periods * expression.period
            if found < after or not inclusive:
                found += expression.period
    else:
        moment = after - timedelta(microseconds=1) if inclusive else after
        found = expression.next_after(moment, zone)
    if found is None or (end is not None and found > end):
        return None
    return found
