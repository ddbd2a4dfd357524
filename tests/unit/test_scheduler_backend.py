"""The local Scheduler with an injected clock: what fires when, what is refused and why."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from workflow.engine.clock import VirtualClock
from workflow.local.context import ServerContext
from workflow.local.errors import ValidationException
from workflow.local.scheduler import SchedulerBackend
from workflow.local.scheduler.errors import ConflictException, ResourceNotFoundException
from workflow.local.stepfunctions.facade import Caller, StartedExecution, StartExecutionRequest
from workflow.local.store import Store

pytestmark = pytest.mark.unit
UTC = timezone.utc
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:pipeline"
ROLE = "arn:aws:iam::123456789012:role/scheduler"


class StartedByTest:
    """Step Functions as the scheduler sees it: the calls it receives."""

    def __init__(self) -> None:
        self.calls: list[tuple[Caller, StartExecutionRequest]] = []

    def start_execution(self, caller: Caller, request: StartExecutionRequest) -> StartedExecution:
        self.calls.append((caller, request))
        return StartedExecution(f"{MACHINE.replace('stateMachine', 'execution')}:{request.name}",
                                datetime(2026, 1, 1, tzinfo=UTC))


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))


@pytest.fixture
def sfn() -> StartedByTest:
    return StartedByTest()


@pytest.fixture
def scheduler(tmp_path: Path, clock: VirtualClock, sfn: StartedByTest) -> SchedulerBackend:
    ctx = ServerContext(data_dir=tmp_path, store=Store(tmp_path / "state.sqlite3"),
                        endpoint_url="http://127.0.0.1:1")
    backend = SchedulerBackend(ctx, clock=clock, target_service=lambda: sfn)
    backend.plan_all(clock.now())
    return backend


def _params(**changes: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"Name": "retrain", "ScheduleExpression": "rate(1 hour)",
                              "FlexibleTimeWindow": {"Mode": "OFF"},
                              "Target": {"Arn": MACHINE, "RoleArn": ROLE, "Input": '{"a": 1}'}}
    params.update(changes)
    return params


def _run(scheduler: SchedulerBackend, clock: VirtualClock, until: datetime) -> list[datetime]:
    """Advance minute by minute, firing what is due; the times it fired."""
    fired = []
    while clock.now() < until:
        clock.advance(60)
        if scheduler.fire_due(clock.now()):
            fired.append(clock.now())
    return fired


def test_rate_fires_from_start_date_until_end_date(scheduler: SchedulerBackend, clock: VirtualClock,
                                                   sfn: StartedByTest) -> None:
    start, end = datetime(2026, 5, 1, 10, tzinfo=UTC), datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    scheduler.create_schedule(_params(StartDate=start, EndDate=end))
    fired = _run(scheduler, clock, datetime(2026, 5, 1, 15, tzinfo=UTC))
    assert fired == [start, start + timedelta(hours=1), start + timedelta(hours=2)]
    caller, request = sfn.calls[0]
    assert caller.principal_arn == ROLE and request.state_machine_arn == MACHINE
    assert request.name == "retrain-20260501T100000Z" and json.loads(request.input) == {"a": 1}


def test_a_rate_without_start_date_fires_at_once(scheduler: SchedulerBackend, clock: VirtualClock) -> None:
    scheduler.create_schedule(_params())
    assert len(scheduler.fire_due(clock.now())) == 1


def test_at_fires_once_with_context_attributes_then_deletes_itself(
        scheduler: SchedulerBackend, clock: VirtualClock, sfn: StartedByTest) -> None:
    arn = scheduler.create_schedule(_params(
        ScheduleExpression="at(2026-05-01T11:30:00)", ScheduleExpressionTimezone="Europe/Paris",
        ActionAfterCompletion="DELETE",
        Target={"Arn": MACHINE, "RoleArn": ROLE, "Input": json.dumps(
            {"schedule": {"arn": "<aws.scheduler.schedule-arn>", "at": "<aws.scheduler.scheduled-time>",
                          "attempt": "<aws.scheduler.attempt-number>"}})}))["ScheduleArn"]
    fired = _run(scheduler, clock, datetime(2026, 5, 1, 12, tzinfo=UTC))
    assert fired == [datetime(2026, 5, 1, 9, 30, tzinfo=UTC)]  # 11:30 in Paris (CEST)
    assert json.loads(sfn.calls[0][1].input) == {
        "schedule": {"arn": arn, "at": "2026-05-01T09:30:00Z", "attempt": "1"}}
    with pytest.raises(ResourceNotFoundException):
        scheduler.get_schedule({"Name": "retrain"})


def test_at_with_action_none_stays_after_it_fired(scheduler: SchedulerBackend, clock: VirtualClock) -> None:
    scheduler.create_schedule(_params(ScheduleExpression="at(2026-05-01T08:30:00)"))
    assert len(_run(scheduler, clock, datetime(2026, 5, 2, tzinfo=UTC))) == 1
    assert scheduler.get_schedule({"Name": "retrain"})["State"] == "ENABLED"


def test_invocations_missed_while_down_are_not_made_up(scheduler: SchedulerBackend, clock: VirtualClock) -> None:
    scheduler.create_schedule(_params(ScheduleExpression="cron(0 * * * ? *)"))
    clock.advance(5 * 3600 + 600)  # the server was down from 08:00 to 13:10
    scheduler.plan_all(clock.now())
    assert scheduler.fire_due(clock.now()) == []
    assert _run(scheduler, clock, datetime(2026, 5, 1, 14, 30, tzinfo=UTC)) == [
        datetime(2026, 5, 1, 14, tzinfo=UTC)]


def test_disabled_schedules_do_not_fire(scheduler: SchedulerBackend, clock: VirtualClock) -> None:
    scheduler.create_schedule(_params(State="DISABLED"))
    assert _run(scheduler, clock, datetime(2026, 5, 1, 12, tzinfo=UTC)) == []


def test_a_failing_target_is_retried_within_the_retry_policy(
        scheduler: SchedulerBackend, clock: VirtualClock, sfn: StartedByTest) -> None:
    from workflow.local.stepfunctions.errors import StateMachineDoesNotExist

    def refuse(caller: Caller, request: StartExecutionRequest) -> StartedExecution:
        sfn.calls.append((caller, request))
        raise StateMachineDoesNotExist("State Machine Does Not Exist")

    sfn.start_execution = refuse  # type: ignore[method-assign]
    scheduler.create_schedule(_params(ScheduleExpression="cron(0 9 * * ? *)", Target={
        "Arn": MACHINE, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 2}}))
    _run(scheduler, clock, datetime(2026, 5, 1, 9, 30, tzinfo=UTC))
    assert len(sfn.calls) == 3  # the first try and two retries


def test_flexible_window_invocations_stay_inside_the_window(
        scheduler: SchedulerBackend, clock: VirtualClock) -> None:
    scheduler.create_schedule(_params(ScheduleExpression="cron(0 9 * * ? *)",
                                      FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 20}))
    fired = _run(scheduler, clock, datetime(2026, 5, 4, tzinfo=UTC))
    assert len(fired) == 3
    for when in fired:
        assert when.hour == 9 and when.minute <= 21  # due inside the window, seen within a minute


@pytest.mark.parametrize("changes, field", [
    ({"ScheduleExpression": "rate(1 fortnight)"}, "ScheduleExpression"),
    ({"ScheduleExpression": "cron(0 3 * * 1 *)"}, "ScheduleExpression"),
    ({"ScheduleExpressionTimezone": "Europe/Atlantis"}, "ScheduleExpressionTimezone"),
    ({"StartDate": datetime(2026, 6, 2, tzinfo=UTC), "EndDate": datetime(2026, 6, 1, tzinfo=UTC)}, "EndDate"),
    ({"EndDate": datetime(2026, 4, 1, tzinfo=UTC)}, "EndDate"),
    ({"Target": {"Arn": MACHINE}}, "Target.RoleArn"),
    ({"Target": {"RoleArn": ROLE}}, "Target.Arn"),
    ({"Target": {"Arn": MACHINE, "RoleArn": "scheduler"}}, "Target.RoleArn"),
    ({"Target": {"Arn": "arn:aws:sqs:us-east-1:123456789012:q", "RoleArn": ROLE}}, "Target.Arn"),
    ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "MaximumWindowInMinutes"),
    ({"FlexibleTimeWindow": {"Mode": "OFF", "MaximumWindowInMinutes": 5}}, "MaximumWindowInMinutes"),
    ({"Name": "two words"}, "Name"),
])
def test_bad_requests_are_refused_naming_the_field(scheduler: SchedulerBackend, changes: dict[str, Any],
                                                   field: str) -> None:
    with pytest.raises(ValidationException) as caught:
        scheduler.create_schedule(_params(**changes))
    assert field in caught.value.message
    assert scheduler.list_schedules({})["Schedules"] == []  # nothing stored


def test_groups_hold_schedules_and_names_are_unique(scheduler: SchedulerBackend) -> None:
    with pytest.raises(ResourceNotFoundException, match="nightly"):
        scheduler.create_schedule(_params(GroupName="nightly"))
    scheduler.create_schedule_group({"Name": "nightly"})
    scheduler.create_schedule(_params(GroupName="nightly"))
    scheduler.create_schedule(_params())
    with pytest.raises(ConflictException):
        scheduler.create_schedule(_params())
    assert {s["GroupName"] for s in scheduler.list_schedules({})["Schedules"]} == {"default", "nightly"}
    assert [s["GroupName"] for s in scheduler.list_schedules({"GroupName": "nightly"})["Schedules"]] == ["nightly"]
    assert [g["Name"] for g in scheduler.list_schedule_groups({})["ScheduleGroups"]] == ["default", "nightly"]
    scheduler.delete_schedule_group({"Name": "nightly"})
    assert [s["GroupName"] for s in scheduler.list_schedules({})["Schedules"]] == ["default"]
    with pytest.raises(ValidationException):
        scheduler.delete_schedule_group({"Name": "default"})


def test_update_replaces_the_schedule_and_keeps_its_creation_date(
        scheduler: SchedulerBackend, clock: VirtualClock) -> None:
    scheduler.create_schedule(_params(Description="first"))
    created = scheduler.get_schedule({"Name": "retrain"})["CreationDate"]
    clock.advance(120)
    scheduler.update_schedule(_params(ScheduleExpression="rate(2 hours)"))
    stored = scheduler.get_schedule({"Name": "retrain"})
    assert stored["ScheduleExpression"] == "rate(2 hours)" and "Description" not in stored
    assert stored["CreationDate"] == created < stored["LastModificationDate"]


def test_cron_in_paris_across_the_spring_change_with_the_clock_running(
        scheduler: SchedulerBackend, clock: VirtualClock, sfn: StartedByTest) -> None:
    clock.advance((datetime(2026, 3, 27, 12, tzinfo=UTC) - clock.now()).total_seconds())
    scheduler.create_schedule(_params(ScheduleExpression="cron(30 2 * * ? *)",
                                      ScheduleExpressionTimezone="Europe/Paris"))
    fired = _run(scheduler, clock, datetime(2026, 3, 31, 0, tzinfo=UTC))
    # 02:30 did not exist in Paris on the 29th: no run that day, none made up after.
    assert fired == [datetime(2026, 3, 28, 1, 30, tzinfo=UTC), datetime(2026, 3, 30, 0, 30, tzinfo=UTC)]
    assert [r.name for _, r in sfn.calls] == ["retrain-20260328T013000Z", "retrain-20260330T003000Z"]
