"""When each schedule fires next, and what a failed invocation does: pure decisions.

Plans live in memory only: a restarted server plans every schedule from the time it
starts, so invocations missed while it was down are not made up (as on AWS, where a
schedule does not back-fill). A flexible time window moves an invocation to a random
moment within the window after its scheduled time.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from workflow.local.scheduler.expressions import next_invocation, parse_expression, parse_timezone
from workflow.local.scheduler.records import Schedule, ScheduleState, WindowMode

#: Longest wait between two tries of a failed invocation.
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class Plan:
    scheduled: datetime  # the time the expression names (<aws.scheduler.scheduled-time>)
    due: datetime        # when to invoke: scheduled, or later within a flexible window
    attempt: int = 1


def window_offset(schedule: Schedule, rng: random.Random) -> timedelta:
    if schedule.window.mode is WindowMode.OFF or not schedule.window.maximum_minutes:
        return timedelta(0)
    return timedelta(seconds=rng.uniform(0, schedule.window.maximum_minutes * 60))


def first_plan(schedule: Schedule, now: datetime, rng: random.Random) -> Plan | None:
    """The next invocation from ``now`` on (``now`` itself counts: a rate schedule without
    StartDate fires as soon as it is created)."""
    return _plan(schedule, now, True, rng)


def next_plan(schedule: Schedule, done: Plan, now: datetime, rng: random.Random) -> Plan | None:
    """The invocation after ``done``; none that ``now`` has already passed."""
    return _plan(schedule, max(done.scheduled, now), False, rng)


def _plan(schedule: Schedule, after: datetime, inclusive: bool, rng: random.Random) -> Plan | None:
    if schedule.state is not ScheduleState.ENABLED:
        return None
    when = next_invocation(
        parse_expression(schedule.expression), parse_timezone(schedule.timezone), after=after,
        anchor=schedule.modified or after, start=schedule.start_date, end=schedule.end_date,
        inclusive=inclusive)
    if when is None:
        return None
    return Plan(when, when + window_offset(schedule, rng))


def retry_plan(schedule: Schedule, failed: Plan, now: datetime) -> Plan | None:
    """The next try of a failed invocation within the target's RetryPolicy, or None."""
    policy = schedule.target.retry
    if failed.attempt > policy.maximum_retry_attempts:
        return None
    delay = min(2.0 ** (failed.attempt - 1), MAX_BACKOFF_S)
    due = now + timedelta(seconds=delay)
    if (due - failed.scheduled).total_seconds() > policy.maximum_event_age_s:
        return None
    return replace(failed, due=due, attempt=failed.attempt + 1)
