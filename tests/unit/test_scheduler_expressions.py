"""Schedule expressions as EventBridge Scheduler reads them: time zones, DST, bounds, errors."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from workflow.local.errors import ValidationException
from workflow.local.scheduler.expressions import next_invocation, parse_expression, parse_timezone
from workflow.local.scheduler.planning import window_offset
from workflow.local.scheduler.records import FlexibleWindow, Schedule, Target, WindowMode

pytestmark = pytest.mark.unit
UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")


def _times(expression: str, zone: ZoneInfo, after: datetime, count: int, **bounds: datetime) -> list[datetime]:
    parsed, out = parse_expression(expression), []
    for _ in range(count):
        found = next_invocation(parsed, zone, after=after, anchor=after, **bounds)
        if found is None:
            break
        out.append(found)
        after = found
    return out


def test_cron_in_paris_skips_the_hour_the_spring_change_removes() -> None:
    # 2026-03-29: Paris clocks jump from 02:00 to 03:00, so 02:30 does not exist that day.
    times = _times("cron(30 2 * * ? *)", PARIS, datetime(2026, 3, 27, 12, tzinfo=UTC), 3)
    assert times == [datetime(2026, 3, 28, 1, 30, tzinfo=UTC),   # 02:30 CET
                     datetime(2026, 3, 30, 0, 30, tzinfo=UTC),   # 02:30 CEST (29th skipped)
                     datetime(2026, 3, 31, 0, 30, tzinfo=UTC)]


def test_cron_in_paris_runs_the_repeated_hour_once_in_autumn() -> None:
    # 2026-10-25: Paris clocks go back from 03:00 to 02:00, so 02:00-02:59 happens twice.
    times = _times("cron(0/30 2 * * ? *)", PARIS, datetime(2026, 10, 24, 23, tzinfo=UTC), 4)
    assert times == [datetime(2026, 10, 25, 0, 0, tzinfo=UTC),   # 02:00 CEST
                     datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # 02:30 CEST; not again in CET
                     datetime(2026, 10, 26, 1, 0, tzinfo=UTC),   # 02:00 CET next day
                     datetime(2026, 10, 26, 1, 30, tzinfo=UTC)]


def test_cron_day_of_week_counts_from_sunday_and_names_work() -> None:
    monday = _times("cron(0 9 ? * 2 *)", PARIS, datetime(2026, 6, 1, 12, tzinfo=UTC), 1)  # a Monday
    assert monday == [datetime(2026, 6, 8, 7, 0, tzinfo=UTC)]
    assert _times("cron(0 9 ? * MON *)", PARIS, datetime(2026, 6, 1, 12, tzinfo=UTC), 1) == monday
    last_friday = _times("cron(0 12 ? * 6L 2026)", ZoneInfo("UTC"), datetime(2026, 6, 1, tzinfo=UTC), 1)
    assert last_friday == [datetime(2026, 6, 26, 12, tzinfo=UTC)]


def test_a_rate_day_is_24_hours_across_a_dst_change() -> None:
    start = datetime(2026, 3, 28, 9, tzinfo=UTC)
    times = _times("rate(1 day)", PARIS, start - timedelta(seconds=1), 3, start=start)
    assert [t - start for t in times] == [timedelta(0), timedelta(days=1), timedelta(days=2)]


def test_rate_between_start_and_end_date() -> None:
    start, end = datetime(2026, 5, 1, 10, tzinfo=UTC), datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    times = _times("rate(1 hour)", PARIS, datetime(2026, 5, 1, 8, tzinfo=UTC), 10, start=start, end=end)
    assert times == [start, start + timedelta(hours=1), start + timedelta(hours=2)]


def test_at_is_read_in_its_time_zone_and_ignores_start_date() -> None:
    parsed = parse_expression("at(2026-07-14T09:00:00)")
    after = datetime(2026, 7, 1, tzinfo=UTC)
    found = next_invocation(parsed, PARIS, after=after, anchor=after, start=datetime(2027, 1, 1, tzinfo=UTC))
    assert found == datetime(2026, 7, 14, 7, 0, tzinfo=UTC)
    assert next_invocation(parsed, PARIS, after=found, anchor=after) is None


def _flexible(minutes: int) -> Schedule:
    return Schedule(name="s", group="default", arn="arn", expression="rate(1 hour)", timezone="UTC",
                    target=Target("arn:aws:states:us-east-1:123456789012:stateMachine:m",
                                  "arn:aws:iam::123456789012:role/r"),
                    window=FlexibleWindow(WindowMode.FLEXIBLE, minutes))


class _Edge(random.Random):
    def __init__(self, top: bool) -> None:
        super().__init__(0)
        self.top = top

    def uniform(self, a: float, b: float) -> float:
        return b if self.top else a


def test_a_flexible_window_moves_invocations_within_its_bounds_only() -> None:
    schedule = _flexible(15)
    assert window_offset(schedule, _Edge(top=False)) == timedelta(0)
    assert window_offset(schedule, _Edge(top=True)) == timedelta(minutes=15)
    draws = [window_offset(schedule, random.Random(seed)) for seed in range(200)]
    assert all(timedelta(0) <= d <= timedelta(minutes=15) for d in draws)
    assert len(set(draws)) > 100  # spread over the window, not one fixed delay


@pytest.mark.parametrize("expression, field", [
    ("rate(0 minutes)", "positive"),
    ("rate(1 days)", "rate(1 day)"),
    ("rate(7 day)", "rate(7 days)"),
    ("rate(2 weeks)", "rate(value unit)"),
    ("rate(5minutes)", "rate(value unit)"),
    ("cron(0 3 * * SUN *)", "exactly one"),
    ("cron(0 3 ? * ? *)", "exactly one"),
    ("cron(0 3 * *)", "six fields"),
    ("cron(61 3 * * ? *)", "minutes"),
    ("cron(0 24 * * ? *)", "hours"),
    ("cron(0 3 ? * 8 *)", "day-of-week"),
    ("cron(0 3 ? FOO * *)", "month"),
    ("cron(0 3 * * ? 1969)", "year"),
    ("at(2026-02-30T10:00:00)", "at()"),
    ("at(2026-02-01 10:00:00)", "rate(value unit)"),
    ("every sunday", "rate(value unit)"),
])
def test_bad_expressions_name_schedule_expression(expression: str, field: str) -> None:
    with pytest.raises(ValidationException) as caught:
        parse_expression(expression)
    assert "ScheduleExpression" in caught.value.message and field in caught.value.message


def test_an_unknown_time_zone_names_the_field() -> None:
    with pytest.raises(ValidationException, match="ScheduleExpressionTimezone"):
        parse_timezone("Mars/Olympus_Mons")
