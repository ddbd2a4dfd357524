"""The retraining schedule: expressions checked before deploy, and a schedule that starts the
deployed state machine with its stored input (EventBridge Scheduler mocked by moto)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.aws.test_deploy import PREFIX, REGION, aws, deploy, physical_ids, request  # noqa: F401 - fixture
from workflow.aws import release
from workflow.aws.schedule import ScheduleError, validate_expression
from workflow.cli.main import main
from workflow.execution_input import problems

# moto's CloudFormation has no AWS::Lambda::Alias or AWS::Scheduler::Schedule; it skips them with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
Capture = pytest.CaptureFixture[str]


@pytest.mark.parametrize("expression", ["rate(7 days)", "rate(1 hour)", "rate(30 minutes)",
                                        "cron(0 3 ? * SUN *)", "cron(15 10 1 * ? *)",
                                        "at(2030-01-01T03:00:00)"])
def test_valid_expressions_pass(expression: str) -> None:
    assert validate_expression(expression) == expression


@pytest.mark.parametrize("expression, reason", [
    ("rate(7 day)", "rate(7 days)"),
    ("rate(1 days)", "rate(1 day)"),
    ("rate(0 days)", "positive"),
    ("rate(7 weeks)", "rate(value unit)"),
    ("cron(0 3 * * SUN *)", "'?' in exactly one"),
    ("cron(0 3 * *)", "six fields"),
    ("every sunday", "rate(value unit)"),
])
def test_invalid_expressions_get_a_clear_error(expression: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=r"ValidationException: --schedule") as caught:
        validate_expression(expression)
    assert reason in str(caught.value)


def test_deploy_with_a_bad_schedule_stops_before_touching_aws(tmp_path: Path, capsys: Capture) -> None:
    code = main(["deploy", "--region", REGION, "--bucket", "nowhere", "--schedule", "rate(2 fortnights)",
                 "--no-deps", "--build-dir", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--schedule 'rate(2 fortnights)'" in err and "Traceback" not in err


def test_a_stored_input_that_breaks_the_schema_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "input.json"
    bad.write_text(json.dumps({"dataset_uri": "s3://b/k.zip"}))
    with pytest.raises(ValueError, match="endpoint_name"):
        release.prepare(request(tmp_path, schedule="rate(7 days)", schedule_input=bad))


def _schedule_resource(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["RetrainingSchedule"]["Properties"]


def test_the_schedule_targets_the_state_machine_with_a_valid_stored_input(tmp_path: Path) -> None:
    prepared = release.prepare(request(tmp_path, schedule="rate(7 days)", dataset_uri="s3://dogs/dogImages.zip"))
    props = _schedule_resource(prepared.template)
    assert props["ScheduleExpression"] == "rate(7 days)"
    assert props["Target"]["Arn"] == {"Ref": "StateMachine"}
    assert props["Target"]["RoleArn"] == {"Fn::GetAtt": ["SchedulerRole", "Arn"]}
    stored = json.loads(props["Target"]["Input"])
    assert problems(stored) == []
    # Each execution the schedule starts carries its ARN and due time, filled in by the Scheduler.
    assert stored["schedule"] == {"schedule_arn": "<aws.scheduler.schedule-arn>",
                                  "scheduled_time": "<aws.scheduler.scheduled-time>"}
    assert stored["dataset_uri"] == "s3://dogs/dogImages.zip"
    assert stored["endpoint_name"].startswith(PREFIX)
    assert "RetrainingSchedule" not in release.prepare(request(tmp_path)).template["Resources"]


def test_the_schedule_starts_the_deployed_state_machine(aws: Any, tmp_path: Path) -> None:
    prepared = release.prepare(request(tmp_path, schedule="rate(7 days)"))
    release.deploy(prepared, aws, say=lambda _: None, poll=0.01, timeout=60)
    ids = physical_ids(aws)
    # moto's CloudFormation has no AWS::Scheduler::Schedule, so the test creates the schedule from the
    # template's own properties with the intrinsics resolved to the deployed resources.
    props = _schedule_resource(prepared.template)
    target = {**props["Target"], "Arn": ids["StateMachine"],
              "RoleArn": aws.client("iam").get_role(RoleName=ids["SchedulerRole"])["Role"]["Arn"]}
    scheduler = aws.client("scheduler")
    scheduler.create_schedule(**{**props, "Target": target})
    stored = scheduler.get_schedule(Name=f"{PREFIX}-retrain")
    assert stored["ScheduleExpression"] == "rate(7 days)" and stored["Target"]["Arn"] == ids["StateMachine"]

    # What the schedule does when it fires: start the state machine with the stored input. `start`
    # without --input on AWS takes the same stored input.
    assert main(["start", "--region", REGION, "--stack-name", "dog-breed-pipeline", "--name", "scheduled-1"]) == 0
    execution = aws.client("stepfunctions").describe_execution(
        executionArn=ids["StateMachine"].replace(":stateMachine:", ":execution:") + ":scheduled-1")
    by_hand = json.loads(props["Target"]["Input"])
    del by_hand["schedule"]  # only the Scheduler fills in its marks
    assert json.loads(execution["input"]) == by_hand


def test_schedule_commands_on_aws(aws: Any, tmp_path: Path, capsys: Capture) -> None:
    prepared = release.prepare(request(tmp_path, schedule="rate(7 days)"))
    release.deploy(prepared, aws, say=lambda _: None, poll=0.01, timeout=60)
    ids = physical_ids(aws)
    stored = tmp_path / "stored.json"
    document = json.loads(_schedule_resource(prepared.template)["Target"]["Input"])
    del document["schedule"]
    stored.write_text(json.dumps(document))
    where = ["--region", REGION, "--stack-name", "dog-breed-pipeline"]

    assert main(["schedule", "create", "cron(0 4 ? * MON *)", "--timezone", "America/New_York",
                 "--input", str(stored), *where]) == 0
    schedule = aws.client("scheduler").get_schedule(Name=f"{PREFIX}-retrain")
    assert schedule["Target"]["Arn"] == ids["StateMachine"]
    assert schedule["Target"]["RoleArn"].endswith("/" + ids["SchedulerRole"])
    assert schedule["ScheduleExpression"] == "cron(0 4 ? * MON *)"
    capsys.readouterr()
    assert main(["schedule", "list", *where]) == 0
    assert f"default/{PREFIX}-retrain  cron(0 4 ? * MON *) (America/New_York)  ENABLED" in capsys.readouterr().out
    assert main(["schedule", "delete", f"{PREFIX}-retrain", *where]) == 0
    assert aws.client("scheduler").list_schedules()["Schedules"] == []
