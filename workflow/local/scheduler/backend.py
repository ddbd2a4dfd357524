"""The local EventBridge Scheduler: schedules and groups kept in the store, and a thread
that invokes each enabled schedule's target on time while the server runs."""
from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from workflow.engine.clock import Clock, SystemClock
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.errors import ServiceError, ValidationException
from workflow.local.scheduler.errors import ConflictException, ResourceNotFoundException
from workflow.local.scheduler.planning import Plan, first_plan, next_plan, retry_plan
from workflow.local.scheduler.records import DEFAULT_GROUP, AfterCompletion, Schedule, ScheduleGroup
from workflow.local.scheduler.requests import check_name, schedule_from_params
from workflow.local.scheduler.targets import Invocation, invoke
from workflow.local.stepfunctions.facade import StepFunctions, step_functions

log = logging.getLogger(__name__)

SCHEDULE = "scheduler.schedule"
GROUP = "scheduler.group"
#: The longest the thread sleeps without looking again (a clock set forward, a missed wake).
_MAX_SLEEP_S = 30.0


class SchedulerBackend(Backend):
    service = "scheduler"
    #: Stops firing before the services its targets call shut down.
    shutdown_first = True

    def __init__(self, ctx: ServerContext, *, clock: Clock | None = None,
                 rng: random.Random | None = None,
                 target_service: Callable[[], StepFunctions] | None = None) -> None:
        super().__init__(ctx)
        self.clock = clock or SystemClock()
        self.rng = rng or random.Random()
        self._target_service = target_service or (lambda: step_functions(ctx))
        self._plans: dict[str, Plan] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: schedule ARN -> (time, execution ARN or error) of its latest invocations
        self.invocations: dict[str, list[tuple[datetime, str]]] = {}

    # -- lifecycle --------------------------------------------------------
    def start(self) -> None:
        self.plan_all(self.clock.now())
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def plan_all(self, now: datetime) -> None:
        """Plan every schedule from ``now``: nothing missed before it is invoked."""
        self._default_group()
        with self._lock:
            self._plans.clear()
            for doc in self.ctx.store.list(SCHEDULE):
                self._replan(Schedule.from_doc(doc), now)

    def _replan(self, schedule: Schedule, now: datetime) -> None:
        plan = first_plan(schedule, now, self.rng)
        if plan is None:
            self._plans.pop(schedule.arn, None)
        else:
            self._plans[schedule.arn] = plan

    def next_due(self) -> datetime | None:
        with self._lock:
            return min((p.due for p in self._plans.values()), default=None)

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock.now()
            try:
                self.fire_due(now)
            except Exception:
                log.exception("the scheduler failed to fire its due schedules")
            due = self.next_due()
            wait = _MAX_SLEEP_S if due is None else (due - self.clock.now()).total_seconds()
            self._wake.clear()
            if wait > 0:
                self.clock.sleep(min(wait, _MAX_SLEEP_S), self._wake)

    def fire_due(self, now: datetime) -> list[str]:
        """Invoke every schedule whose time has come; returns the execution ARNs started."""
        with self._lock:
            due = [(arn, plan) for arn, plan in self._plans.items() if plan.due <= now]
        started = []
        for arn, plan in due:
            result = self._fire(arn, plan, now)
            if result:
                started.append(result)
        return started

    def _fire(self, arn: str, plan: Plan, now: datetime) -> str | None:
        doc = self.ctx.store.get(SCHEDULE, _key_of_arn(arn))
        if doc is None:
            with self._lock:
                self._plans.pop(arn, None)
            return None
        schedule = Schedule.from_doc(doc)
        invocation = Invocation(schedule, plan.scheduled, uuid.uuid4().hex[:16], plan.attempt)
        try:
            started = invoke(self._target_service(), invocation)
        except ServiceError as err:
            log.warning("schedule %s: attempt %d failed: %s %s", arn, plan.attempt, err.code, err.message)
            self._record(arn, now, f"{err.code}: {err.message}")
            with self._lock:
                retry = retry_plan(schedule, plan, now)
                if retry is not None:
                    self._plans[arn] = retry
                    return None
            self._after(schedule, plan, now)
            return None
        self._record(arn, now, started.execution_arn)
        self._after(schedule, plan, now)
        return started.execution_arn

    def _after(self, schedule: Schedule, done: Plan, now: datetime) -> None:
        with self._lock:
            following = next_plan(schedule, done, now, self.rng)
            if following is not None:
                self._plans[schedule.arn] = following
                return
            self._plans.pop(schedule.arn, None)
        if schedule.after_completion is AfterCompletion.DELETE:
            self.ctx.store.delete(SCHEDULE, _key(schedule.group, schedule.name))

    def _record(self, arn: str, when: datetime, outcome: str) -> None:
        with self._lock:
            self.invocations.setdefault(arn, []).append((when, outcome))
            del self.invocations[arn][:-20]

    # -- groups -----------------------------------------------------------
    def _default_group(self) -> None:
        now = self.clock.now()
        group = ScheduleGroup(DEFAULT_GROUP, self._group_arn(DEFAULT_GROUP), now, now)
        self.ctx.store.insert(GROUP, DEFAULT_GROUP, group.to_doc())

    def _group_arn(self, name: str) -> str:
        return self.ctx.arn("scheduler", f"schedule-group/{name}")

    def _group(self, name: str) -> ScheduleGroup:
        doc = self.ctx.store.get(GROUP, name)
        if doc is None:
            if name == DEFAULT_GROUP:
                self._default_group()
                return self._group(name)
            raise ResourceNotFoundException(f"Schedule group {name} does not exist.")
        return ScheduleGroup.from_doc(doc)

    def create_schedule_group(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check_name(params["Name"], "Name")
        now = self.clock.now()
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
        group = ScheduleGroup(name, self._group_arn(name), now, now, tags=tags)
        if not self.ctx.store.insert(GROUP, name, group.to_doc()):
            raise ConflictException(f"Schedule group {name} already exists.")
        return {"ScheduleGroupArn": group.arn}

    def get_schedule_group(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._group(params["Name"]).to_api()

    def list_schedule_groups(self, params: dict[str, Any]) -> dict[str, Any]:
        self._default_group()
        groups = [ScheduleGroup.from_doc(d) for d in self.ctx.store.list(GROUP)]
        prefix = params.get("NamePrefix") or ""
        page, token = _page([g for g in groups if g.name.startswith(prefix)], params)
        return {"ScheduleGroups": [g.to_api() for g in page], "NextToken": token}

    def delete_schedule_group(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if name == DEFAULT_GROUP:
            raise ValidationException("The default schedule group cannot be deleted.")
        self._group(name)
        for doc in self.ctx.store.list(SCHEDULE):
            if doc["group"] == name:
                self._forget(Schedule.from_doc(doc))
        self.ctx.store.delete(GROUP, name)
        return {}

    # -- tags (schedule groups carry them) --------------------------------
    def _tagged(self, arn: str) -> ScheduleGroup:
        name = arn.rpartition("schedule-group/")[2]
        if not arn.startswith(self._group_arn("")) or not name:
            raise ResourceNotFoundException(f"Resource {arn} does not exist.")
        return self._group(name)

    def list_tags_for_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._tagged(params["ResourceArn"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in group.tags.items()]}

    def tag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._tagged(params["ResourceArn"])
        added = {t["Key"]: t["Value"] for t in params["Tags"]}
        self.ctx.store.update(GROUP, group.name, lambda d: d["tags"].update(added))
        return {}

    def untag_resource(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._tagged(params["ResourceArn"])
        keys = set(params["TagKeys"])
        self.ctx.store.update(GROUP, group.name, lambda d: {
            **d, "tags": {k: v for k, v in d["tags"].items() if k not in keys}})
        return {}

    # -- schedules --------------------------------------------------------
    def _schedule_arn(self, group: str, name: str) -> str:
        return self.ctx.arn("scheduler", f"schedule/{group}/{name}")

    def _get(self, group: str | None, name: str) -> Schedule:
        group = group or DEFAULT_GROUP
        self._group(group)
        doc = self.ctx.store.get(SCHEDULE, _key(group, name))
        if doc is None:
            raise ResourceNotFoundException(f"Schedule {name} does not exist.")
        return Schedule.from_doc(doc)

    def _accepted(self, params: dict[str, Any]) -> Schedule:
        now = self.clock.now()
        schedule = schedule_from_params(params, self._schedule_arn, now)
        self._group(schedule.group)
        return schedule.with_times(now, now)

    def create_schedule(self, params: dict[str, Any]) -> dict[str, Any]:
        schedule = self._accepted(params)
        if not self.ctx.store.insert(SCHEDULE, _key(schedule.group, schedule.name), schedule.to_doc()):
            raise ConflictException(f"Schedule {schedule.name} already exists.")
        self._planned(schedule)
        return {"ScheduleArn": schedule.arn}

    def update_schedule(self, params: dict[str, Any]) -> dict[str, Any]:
        # UpdateSchedule replaces the whole schedule: what the request leaves out is reset.
        existing = self._get(params.get("GroupName"), params["Name"])
        schedule = self._accepted(params)
        schedule = schedule.with_times(existing.created or schedule.modified, schedule.modified)  # type: ignore[arg-type]
        self.ctx.store.put(SCHEDULE, _key(schedule.group, schedule.name), schedule.to_doc())
        self._planned(schedule)
        return {"ScheduleArn": schedule.arn}

    def _planned(self, schedule: Schedule) -> None:
        with self._lock:
            self._replan(schedule, self.clock.now())
        self._wake.set()

    def get_schedule(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._get(params.get("GroupName"), params["Name"]).to_api()

    def delete_schedule(self, params: dict[str, Any]) -> dict[str, Any]:
        self._forget(self._get(params.get("GroupName"), params["Name"]))
        return {}

    def _forget(self, schedule: Schedule) -> None:
        self.ctx.store.delete(SCHEDULE, _key(schedule.group, schedule.name))
        with self._lock:
            self._plans.pop(schedule.arn, None)

    def list_schedules(self, params: dict[str, Any]) -> dict[str, Any]:
        group = params.get("GroupName")
        if group:
            self._group(group)
        prefix, state = params.get("NamePrefix") or "", params.get("State")
        schedules = [Schedule.from_doc(d) for d in self.ctx.store.list(SCHEDULE)]
        chosen = [s for s in schedules if (not group or s.group == group)
                  and s.name.startswith(prefix) and (state is None or s.state.value == state)]
        page, token = _page(chosen, params)
        return {"Schedules": [s.summary() for s in page], "NextToken": token}


def _key(group: str, name: str) -> str:
    return f"{group}/{name}"


def _key_of_arn(arn: str) -> str:
    return arn.split(":schedule/", 1)[1]


def _page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str | None]:
    token = params.get("NextToken")
    start = 0
    if token:
        if not token.isdigit():
            raise ValidationException(f"NextToken {token!r} is not valid")
        start = int(token)
    size = params.get("MaxResults") or 100
    end = start + size
    return items[start:end], (str(end) if end < len(items) else None)

