"""``deploy_workflow.py schedule create|list|delete`` against the real local server."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.sfn_helpers import create_machine
from workflow.cli.main import main
from workflow.pipeline.defaults import quick_input

pytestmark = pytest.mark.integration


def test_create_list_and_delete_a_local_schedule(local_server: LocalServerHandle, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    machine = create_machine(local_server.client("stepfunctions"), name="schedule-cli")
    document = quick_input("s3://dog-breed-pipeline-local/dog-breed-pipeline/incoming/dogImages.zip")
    stored = tmp_path / "input.json"
    stored.write_text(json.dumps(document))
    where = ["--endpoint-url", local_server.endpoint_url, "--state-machine", "schedule-cli"]

    assert main(["schedule", "create", "cron(0 3 ? * SUN *)", "--timezone", "Europe/Paris",
                 "--input", str(stored), *where]) == 0
    assert "schedule-cli-retrain" in capsys.readouterr().out
    schedule = local_server.client("scheduler").get_schedule(Name="schedule-cli-retrain")
    assert schedule["Target"]["Arn"] == machine and schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
    assert json.loads(schedule["Target"]["Input"])["dataset_uri"] == document["dataset_uri"]

    assert main(["schedule", "list", *where]) == 0
    listed = capsys.readouterr().out
    line = next(x for x in listed.splitlines() if "schedule-cli-retrain" in x)
    assert "cron(0 3 ? * SUN *) (Europe/Paris)  ENABLED  next: " in line and "—" not in line

    # A second create replaces the schedule; bad expressions and inputs are refused by name.
    assert main(["schedule", "create", "rate(2 days)", "--input", str(stored), *where]) == 0
    assert local_server.client("scheduler").get_schedule(Name="schedule-cli-retrain")[
        "ScheduleExpression"] == "rate(2 days)"
    assert main(["schedule", "create", "rate(2 fortnights)", "--input", str(stored), *where]) == 2
    assert "ScheduleExpression" in capsys.readouterr().err
    assert main(["schedule", "create", "rate(1 day)", *where]) == 2
    assert "--input" in capsys.readouterr().err

    assert main(["schedule", "delete", "schedule-cli-retrain", *where]) == 0
    assert main(["schedule", "delete", "schedule-cli-retrain", *where]) == 1
    assert "ResourceNotFoundException" in capsys.readouterr().err
