"""EventBridge Scheduler's six-field cron expressions, checked as AWS checks them and
iterated with croniter in the schedule's own time zone.

Fields: minutes hours day-of-month month day-of-week year. One of day-of-month and
day-of-week must be ``?``. Day-of-week counts 1-7 from Sunday (croniter counts 0-6), and
``nL`` (the last weekday n of the month) is croniter's ``Ln``; the rest is written alike.

Daylight saving time, as the Scheduler user guide says ("Daylight saving time on
EventBridge Scheduler", schedule-types.html): a local time the spring change skips is not
invoked at all, and a local time the autumn change repeats is invoked once, the first time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from croniter import croniter

from workflow.local.errors import ValidationException

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
#: name, lowest, highest, names (1-based), whether '?' is allowed
_FIELDS = (("minutes", 0, 59, (), False), ("hours", 0, 23, (), False),
           ("day-of-month", 1, 31, (), True), ("month", 1, 12, _MONTHS, False),
           ("day-of-week", 1, 7, _DAYS, True), ("year", 1970, 2199, (), False))
_RANGE = re.compile(r"^(?P<lo>[0-9A-Z]+)(?:-(?P<hi>[0-9A-Z]+))?(?:/(?P<step>[0-9]+))?$")
_STAR = re.compile(r"^\*(?:/(?P<step>[0-9]+))?$")
#: How many candidate times a search may look at before it gives up (a cron expression
#: whose every time falls in skipped hours, or an empty year range).
_MAX_CANDIDATES = 2000


@dataclass(frozen=True)
class CronExpression:
    text: str
    fields: tuple[str, ...]

    def croniter_spec(self) -> str:
        """croniter's seven-field form: minutes hours dom month dow seconds year."""
        minutes, hours, dom, month, dow, year = self.fields
        return " ".join((minutes, hours, dom, month, _croniter_dow(dow), "0", year))

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        """The first invocation time strictly after ``after`` (aware), in UTC."""
        local = after.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)
        # Start one hour early: a time in the repeated hour maps to its first occurrence,
        # which may be before ``after``'s wall-clock reading.
        times = croniter(self.croniter_spec(), local - timedelta(hours=1))
        for _ in range(_MAX_CANDIDATES):
            try:
                candidate = times.get_next(datetime)
            except (StopIteration, ValueError):  # past the last year the expression allows
                return None
            instant = _first_instant(candidate, zone)
            if instant is not None and instant > after:
                return instant
        return None


def _first_instant(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall-clock time: None when the time does not exist that
    day (skipped by a spring change), the earlier one when it happens twice."""
    aware = wall.replace(tzinfo=zone, fold=0)
    instant = aware.astimezone(timezone.utc)
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        return None
    return instant


def _croniter_dow(field: str) -> str:
    parts = []
    for part in field.split(","):
        if part == "L":
            parts.append("6")  # the last day of the week: Saturday
        elif part.endswith("L"):
            parts.append("L" + _shift_day(part[:-1]))
        elif "#" in part:
            day, nth = part.split("#")
            parts.append(f"{_shift_day(day)}#{nth}")
        else:
            found = _RANGE.match(part)
            if found is None:  # * or ?
                parts.append(part)
                continue
            text = _shift_day(found["lo"])
            if found["hi"]:
                text += "-" + _shift_day(found["hi"])
            if found["step"]:
                text += "/" + found["step"]
            parts.append(text)
    return ",".join(parts)


def _shift_day(token: str) -> str:
    return str(int(token) - 1) if token.isdigit() else token


def _value(token: str, lo: int, hi: int, names: tuple[str, ...]) -> int | None:
    if token.isdigit():
        number = int(token)
    elif token in names:
        number = names.index(token) + lo
    else:
        return None
    return number if lo <= number <= hi else None


def _part_ok(part: str, index: int) -> bool:
    name, lo, hi, names, _ = _FIELDS[index]
    if _STAR.match(part):
        return True
    if index == 2 and (part == "L" or (part.endswith("W") and _value(part[:-1], lo, hi, ()) is not None)):
        return True
    if index == 4:
        if part == "L" or (part.endswith("L") and _value(part[:-1], lo, hi, names) is not None):
            return True
        if "#" in part:
            day, _, nth = part.partition("#")
            return _value(day, lo, hi, names) is not None and nth in ("1", "2", "3", "4", "5")
    found = _RANGE.match(part)
    if found is None or _value(found["lo"], lo, hi, names) is None:
        return False
    if found["hi"] is not None and _value(found["hi"], lo, hi, names) is None:
        return False
    return found["step"] is None or int(found["step"]) >= 1


def parse_cron(text: str, body: str) -> CronExpression:
    """``body`` is what stands between ``cron(`` and ``)``."""
    fields = tuple(body.upper().split())
    if len(fields) != 6:
        raise ValidationException(
            f"Invalid Schedule Expression {text}: ScheduleExpression cron() needs six fields "
            "(minutes hours day-of-month month day-of-week year)")
    for index, field in enumerate(fields):
        name, _, _, _, question = _FIELDS[index]
        if field == "?" and question:
            continue
        if not all(_part_ok(part, index) for part in field.split(",")):
            raise ValidationException(
                f"Invalid Schedule Expression {text}: ScheduleExpression field {name} {field!r} "
                "is not valid")
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ValidationException(
            f"Invalid Schedule Expression {text}: ScheduleExpression needs '?' in exactly one of "
            "day-of-month and day-of-week")
    expression = CronExpression(text, fields)
    try:
        croniter(expression.croniter_spec())
    except (ValueError, KeyError) as err:
        raise ValidationException(f"Invalid Schedule Expression {text}: {err}") from None
    return expression
