"""EventBridge Scheduler on the real local server: a schedule that really starts an execution,
schedules that survive a restart, and the AWS CLI reading them."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.integration.conftest import start_local_server
from tests.integration.sfn_helpers import create_machine, wait_done

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/scheduler"


def _executions(sfn: Any, machine: str) -> list[dict[str, Any]]:
    return sfn.list_executions(stateMachineArn=machine)["executions"]


def _wait_for_execution(sfn: Any, machine: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _executions(sfn, machine)
        if found:
            return found[0]
        time.sleep(0.2)
    raise TimeoutError(f"no execution of {machine} within {timeout} s")


def test_an_at_schedule_starts_an_execution_when_due(tmp_path: Path) -> None:
    server = start_local_server(tmp_path / "server")
    try:
        sfn, scheduler = server.client("stepfunctions"), server.client("scheduler")
        machine = create_machine(sfn, name="scheduled")
        due = (datetime.now(timezone.utc) + timedelta(seconds=3)).replace(microsecond=0)
        # Written in Paris time: at() is read in the schedule's time zone.
        local = due.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None)
        arn = scheduler.create_schedule(
            Name="soon", ScheduleExpression=f"at({local.isoformat()})",
            ScheduleExpressionTimezone="Europe/Paris", FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": machine, "RoleArn": ROLE,
                    "Input": json.dumps({"schedule_arn": "<aws.scheduler.schedule-arn>",
                                         "scheduled_time": "<aws.scheduler.scheduled-time>"})},
        )["ScheduleArn"]
        assert _executions(sfn, machine) == []
        execution = _wait_for_execution(sfn, machine, timeout=30)
        started = execution["startDate"]
        assert started >= due - timedelta(seconds=1)
        assert execution["name"].startswith("soon-")
        done = wait_done(sfn, execution["executionArn"])
        assert done["status"] == "SUCCEEDED"
        assert json.loads(done["input"]) == {"schedule_arn": arn,
                                             "scheduled_time": due.strftime("%Y-%m-%dT%H:%M:%SZ")}
        # A one-time schedule with ActionAfterCompletion DELETE is gone once it has run.
        with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
            scheduler.get_schedule(Name="soon")
    finally:
        server.stop()


def test_bad_schedules_are_refused_over_http_naming_the_field(local_server: Any) -> None:
    scheduler = local_server.client("scheduler")
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:any"
    with pytest.raises(scheduler.exceptions.ValidationException, match="RoleArn"):
        scheduler.create_schedule(Name="bad", ScheduleExpression="rate(1 day)",
                                  FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": machine, "RoleArn": "nobody"})
    with pytest.raises(scheduler.exceptions.ValidationException, match="ScheduleExpressionTimezone"):
        scheduler.create_schedule(Name="bad", ScheduleExpression="rate(1 day)",
                                  ScheduleExpressionTimezone="Nowhere/Land",
                                  FlexibleTimeWindow={"Mode": "OFF"},
                                  Target={"Arn": machine, "RoleArn": ROLE})


def test_a_restart_keeps_enabled_schedules_and_the_aws_cli_lists_them(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    server = start_local_server(data_dir)
    try:
        sfn, scheduler = server.client("stepfunctions"), server.client("scheduler")
        machine = create_machine(sfn, name="nightly")
        scheduler.create_schedule_group(Name="retraining")
        scheduler.create_schedule(
            Name="nightly", GroupName="retraining", ScheduleExpression="cron(0 3 * * ? *)",
            ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": machine, "RoleArn": ROLE, "Input": "{}"})
    finally:
        server.stop()
    server = start_local_server(data_dir)
    try:
        scheduler = server.client("scheduler")
        kept = scheduler.get_schedule(Name="nightly", GroupName="retraining")
        assert kept["State"] == "ENABLED" and kept["ScheduleExpression"] == "cron(0 3 * * ? *)"
        assert kept["ScheduleExpressionTimezone"] == "America/New_York"
        aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or shutil.which("aws")
        if aws is None:
            pytest.skip("the AWS CLI is not installed (pip install awscli)")
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
               "AWS_DEFAULT_REGION": "us-east-1"}
        listed = subprocess.run(
            [aws, "scheduler", "list-schedules", "--endpoint-url", server.endpoint_url,
             "--group-name", "retraining", "--output", "json"],
            capture_output=True, text=True, env=env, timeout=60, check=True)
        schedules = json.loads(listed.stdout)["Schedules"]
        assert [(s["Name"], s["State"], s["Target"]["Arn"]) for s in schedules] == [
            ("nightly", "ENABLED", kept["Target"]["Arn"])]
    finally:
        server.stop()
