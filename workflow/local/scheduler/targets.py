"""Invoking a schedule's target: a Step Functions StartExecution as the schedule's role.

The input's context attributes are replaced as the Scheduler user guide describes
("Adding context attributes"): ``<aws.scheduler.schedule-arn>``,
``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.execution-id>`` and
``<aws.scheduler.attempt-number>``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from workflow.local.scheduler.records import Schedule
from workflow.local.stepfunctions.facade import Caller, StartedExecution, StartExecutionRequest, StepFunctions

#: Step Functions execution names are at most 80 characters.
_NAME_LIMIT = 80


@dataclass(frozen=True)
class Invocation:
    schedule: Schedule
    scheduled_time: datetime
    execution_id: str
    attempt: int

    def input(self) -> str:
        text = self.schedule.target.input or "{}"
        values = {
            "schedule-arn": self.schedule.arn,
            "scheduled-time": scheduled_text(self.scheduled_time),
            "execution-id": self.execution_id,
            "attempt-number": str(self.attempt),
        }
        for key, value in values.items():
            text = text.replace(f"<aws.scheduler.{key}>", value)
        return text

    def execution_name(self) -> str:
        """The schedule's name, then the scheduled time: executions a schedule started
        are listed together and say when they were due."""
        stamp = self.scheduled_time.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        return f"{self.schedule.name[:_NAME_LIMIT - len(stamp) - 1]}-{stamp}"


def scheduled_text(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def invoke(step_functions: StepFunctions, invocation: Invocation) -> StartedExecution:
    target = invocation.schedule.target
    return step_functions.start_execution(
        Caller(target.role_arn),
        StartExecutionRequest(target.arn, invocation.execution_name(), invocation.input()))
