"""start / executions / describe / history / stop: one code path, pointed at a deployed stack (moto)
or at a local endpoint URL (a moto server standing in for the local server)."""
from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.aws.test_deploy import PREFIX, REGION, STACK, aws, deploy, physical_ids, request  # noqa: F401
from workflow.aws import images, release
from workflow.aws.settings import CodeLocations, StackSettings
from workflow.aws.stack_input import default_aws_input
from workflow.cli.main import main

# moto's CloudFormation has no AWS::Lambda::Alias or AWS::Scheduler::Schedule; it skips them with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
Capture = pytest.CaptureFixture[str]


def _input_file(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def stack(aws: Any, tmp_path: Path) -> dict[str, Any]:
    prepared = release.prepare(request(tmp_path))
    release.deploy(prepared, aws, say=lambda _: None, poll=0.01, timeout=60)
    return {"session": aws, "input": default_aws_input(prepared.settings), "arn": physical_ids(aws)["StateMachine"]}


AWS_TARGET = ["--region", REGION, "--stack-name", STACK]


def test_start_describe_history_stop_on_aws(stack: dict[str, Any], tmp_path: Path, capsys: Capture) -> None:
    path = _input_file(tmp_path, stack["input"])
    assert main(["start", *AWS_TARGET, "--input", str(path), "--name", "run-1"]) == 0
    assert "run-1" in capsys.readouterr().out
    sfn = stack["session"].client("stepfunctions")
    listed = sfn.list_executions(stateMachineArn=stack["arn"])["executions"]
    assert [e["name"] for e in listed] == ["run-1"]
    assert json.loads(sfn.describe_execution(executionArn=listed[0]["executionArn"])["input"]) == stack["input"]

    assert main(["executions", *AWS_TARGET]) == 0
    assert "run-1" in capsys.readouterr().out
    assert main(["describe", *AWS_TARGET, "run-1"]) == 0
    assert "status:  RUNNING" in capsys.readouterr().out
    assert main(["history", *AWS_TARGET, "run-1"]) == 0
    assert "ExecutionStarted" in capsys.readouterr().out
    assert main(["stop", *AWS_TARGET, "run-1"]) == 0
    capsys.readouterr()
    assert sfn.describe_execution(executionArn=listed[0]["executionArn"])["status"] == "ABORTED"
    assert main(["describe", *AWS_TARGET, listed[0]["executionArn"]]) == 1  # not running, not succeeded
    assert "status:  ABORTED" in capsys.readouterr().out


def test_start_names_the_bad_field_and_starts_nothing(stack: dict[str, Any], tmp_path: Path, capsys: Capture) -> None:
    document = {**stack["input"], "training": {**stack["input"]["training"], "instance_type": "huge"}}
    document["colour"] = "blue"
    assert main(["start", *AWS_TARGET, "--input", str(_input_file(tmp_path, document))]) == 2
    err = capsys.readouterr().err
    assert "ValidationException" in err and "training.instance_type: 'huge' does not match" in err
    assert "'colour' was unexpected" in err and "Traceback" not in err
    sfn = stack["session"].client("stepfunctions")
    assert sfn.list_executions(stateMachineArn=stack["arn"])["executions"] == []


def test_start_on_aws_refuses_an_endpoint_outside_the_prefix(stack: dict[str, Any], tmp_path: Path,
                                                             capsys: Capture) -> None:
    document = {**stack["input"], "endpoint_name": "someone-elses-endpoint"}
    assert main(["start", *AWS_TARGET, "--input", str(_input_file(tmp_path, document))]) == 2
    assert f"must start with the stack's resource prefix '{PREFIX}'" in capsys.readouterr().err


def test_start_on_aws_refuses_debugger_where_the_training_image_has_no_smdebug(
        stack: dict[str, Any], tmp_path: Path, capsys: Capture) -> None:
    document = {**stack["input"], "diagnostics": {"sagemaker_debugger": True}}
    assert main(["start", *AWS_TARGET, "--input", str(_input_file(tmp_path, document))]) == 2
    err = capsys.readouterr().err
    assert "diagnostics.sagemaker_debugger" in err and "ships no smdebug" in err and "Traceback" not in err
    sfn = stack["session"].client("stepfunctions")
    assert sfn.list_executions(stateMachineArn=stack["arn"])["executions"] == []


def test_unknown_stack_and_unknown_execution_are_clear_errors(stack: dict[str, Any], capsys: Capture) -> None:
    assert main(["executions", "--region", REGION, "--stack-name", "nope"]) == 2
    assert "stack nope does not exist" in capsys.readouterr().err
    assert main(["describe", *AWS_TARGET, "never-ran"]) == 1
    assert "ExecutionDoesNotExist" in capsys.readouterr().err


@pytest.fixture
def local_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SFN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # The server keeps moto's in-process state: start and end each test from an empty account.
    reset = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).close()
    try:
        yield url
    finally:
        urllib.request.urlopen(reset, timeout=10).close()
        server.stop()


def test_the_same_commands_against_a_local_endpoint(local_endpoint: str, tmp_path: Path, capsys: Capture) -> None:
    sfn = boto3.client("stepfunctions", endpoint_url=local_endpoint, region_name=REGION)
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    arn = sfn.create_state_machine(name="dog-breed-pipeline", definition=definition,
                                   roleArn="arn:aws:iam::123456789012:role/local")["stateMachineArn"]
    # The same input as on AWS: s3:// prefixes on the local server too.
    document = default_aws_input(StackSettings(
        stack_name="local", region=REGION, artifact_bucket="local-artifacts",
        images=images.retrieve(REGION, "ml.m5.xlarge", "ml.m5.large"), code=CodeLocations(lambdas={}, sourcedir="k")))
    target = ["--endpoint-url", local_endpoint]
    assert main(["start", *target, "--input", str(_input_file(tmp_path, document)), "--name", "local-1"]) == 0
    assert f"local server {local_endpoint}" in capsys.readouterr().out
    assert [e["name"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == ["local-1"]
    assert main(["executions", *target]) == 0
    assert "local-1" in capsys.readouterr().out
    assert main(["stop", *target, "local-1"]) == 0
    assert sfn.describe_execution(executionArn=arn.replace(":stateMachine:", ":execution:") + ":local-1")[
        "status"] == "ABORTED"


def test_no_local_server_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: Capture) -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SFN"):
        monkeypatch.delenv(key, raising=False)
    assert main(["executions", "--data-dir", str(tmp_path / "none")]) == 2
    assert "no local server is running" in capsys.readouterr().err


def test_the_local_server_is_found_through_its_state_file(local_endpoint: str, tmp_path: Path,
                                                          capsys: Capture) -> None:
    from workflow.local import lifecycle

    sfn = boto3.client("stepfunctions", endpoint_url=local_endpoint, region_name=REGION)
    definition = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    arn = sfn.create_state_machine(name="pipeline", definition=definition,
                                   roleArn="arn:aws:iam::123456789012:role/local")["stateMachineArn"]
    sfn.start_execution(stateMachineArn=arn, name="found-it", input="{}")
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    host, port = local_endpoint.rsplit(":", 1)
    # What the server writes once it listens (this process stands in for its pid).
    (data_dir / lifecycle.STATE_FILE).write_text(json.dumps(
        {"pid": os.getpid(), "port": int(port), "endpoint_url": local_endpoint, "data_dir": str(data_dir)}))
    assert main(["executions", "--data-dir", str(data_dir)]) == 0
    assert "found-it" in capsys.readouterr().out
    assert main(["executions", "--data-dir", str(data_dir), "--state-machine", "other"]) == 2
    assert "no state machine named 'other' (there are: pipeline)" in capsys.readouterr().err
