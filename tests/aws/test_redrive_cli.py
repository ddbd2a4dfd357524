"""``deploy_workflow.py redrive --region``: the command finds the deployed stack's state machine and
redrives the execution on AWS (moto).

moto has no RedriveExecution: this module adds it to moto's Step Functions backend with the
rule the API reference states for it (only a FAILED, ABORTED or TIMED_OUT execution; anything
else is ExecutionNotRedrivable), so the test checks what the command sends to AWS and what it
does with AWS's answers. How a redrive runs is tested against the local server
(tests/integration/test_redrive.py).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions.responses import StepFunctionResponse

from tests.aws.test_deploy import aws  # noqa: F401
from tests.aws.test_executions_cli import AWS_TARGET, _input_file, stack  # noqa: F401
from workflow.cli.main import main

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")


class ExecutionNotRedrivable(AWSError):
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


@pytest.fixture
def redrives(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """RedriveExecution in moto; the requests it received."""
    received: list[dict[str, Any]] = []

    def redrive_execution(self: StepFunctionResponse) -> ActionResult:
        received.append({"executionArn": self._get_param("executionArn"),
                         "clientToken": self._get_param("clientToken")})
        execution = self.stepfunction_backend.describe_execution(self._get_param("executionArn"))
        if execution.status not in ("FAILED", "ABORTED", "TIMED_OUT"):
            raise ExecutionNotRedrivable(f"Execution is {execution.status} and cannot be redriven")
        execution.status, execution.stop_date = "RUNNING", None
        return ActionResult({"redriveDate": datetime.now(timezone.utc)})

    monkeypatch.setattr(StepFunctionResponse, "redrive_execution", redrive_execution, raising=False)
    return received


def test_redrive_on_aws_redrives_the_stacks_execution(stack: dict[str, Any], redrives: list[dict[str, Any]],
                                                      tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", *AWS_TARGET, "--input", str(_input_file(tmp_path, stack["input"])), "--name", "run-1"]) == 0
    assert main(["stop", *AWS_TARGET, "run-1"]) == 0
    capsys.readouterr()
    assert main(["redrive", *AWS_TARGET, "run-1", "--client-token", "token-1"]) == 0
    out = capsys.readouterr().out
    assert "redrove run-1 on AWS us-east-1" in out
    execution = stack["arn"].replace(":stateMachine:", ":execution:") + ":run-1"
    assert redrives == [{"executionArn": execution, "clientToken": "token-1"}]
    sfn = stack["session"].client("stepfunctions")
    assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"


def test_redrive_on_aws_of_a_running_execution_is_aws_error(stack: dict[str, Any], redrives: list[dict[str, Any]],
                                                           tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["start", *AWS_TARGET, "--input", str(_input_file(tmp_path, stack["input"])), "--name", "run-2"]) == 0
    capsys.readouterr()
    assert main(["redrive", *AWS_TARGET, "run-2"]) == 1
    err = capsys.readouterr().err
    assert "ExecutionNotRedrivable: Execution is RUNNING and cannot be redriven" in err
    assert "Traceback" not in err
    # Without --client-token the SDK makes one up, as for any idempotent AWS call.
    assert redrives[0]["clientToken"]
    assert main(["redrive", *AWS_TARGET, "never-ran"]) == 1
    assert "ExecutionDoesNotExist" in capsys.readouterr().err
