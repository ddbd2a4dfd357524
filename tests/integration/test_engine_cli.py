"""The command-line contract of ``python -m workflow.engine``, run as real subprocesses.

Task states call a moto server started as its own process (moto's standalone server
speaks the AWS wire protocols), so the aws-sdk and SageMaker integrations go over HTTP
exactly as they would against the local server or AWS.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 60
ROLE = "arn:aws:iam::123456789012:role/sagemaker"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    port = free_port()
    server = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("moto_server did not start within 30 s")
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def cli(tmp_path: Path, *args: str, definition=None, input=None, env: dict | None = None) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "workflow.engine", *args]
    if definition is not None:
        path = tmp_path / "definition.json"
        path.write_text(definition if isinstance(definition, str) else json.dumps(definition))
        argv += ["--definition", str(path)]
    if input is not None:
        path = tmp_path / "input.json"
        path.write_text(input if isinstance(input, str) else json.dumps(input))
        argv += ["--input", str(path)]
    full_env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
                **(env or {})}
    return subprocess.run(argv, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def single_json(stdout: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])


LOOP = {"StartAt": "Init", "States": {
    "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 3, "Next": "Done"}], "Default": "Inc"},
    "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)", "name.$": "$.name"}, "Next": "Check"},
    "Done": {"Type": "Succeed"}}}


def test_run_prints_one_json_object(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", definition=LOOP, input={"name": "x"})
    assert done.returncode == 0, done.stderr
    assert single_json(done.stdout) == {"status": "SUCCEEDED", "output": {"i": 3, "name": "x"}, "error": None, "cause": None}


def test_run_failed_execution_exits_1(tmp_path: Path) -> None:
    definition = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Pipeline.Failed", "Cause": "accuracy too low"}}}
    done = cli(tmp_path, "run", definition=definition)
    assert done.returncode == 1
    assert single_json(done.stdout) == {"status": "FAILED", "output": None, "error": "Pipeline.Failed", "cause": "accuracy too low"}


def test_run_timed_out_with_time_scale(tmp_path: Path) -> None:
    definition = {"TimeoutSeconds": 30, "StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 600, "End": True}}}
    done = cli(tmp_path, "run", "--time-scale", "300", definition=definition)
    assert single_json(done.stdout)["status"] == "TIMED_OUT"


def test_run_rejects_an_invalid_definition(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", definition={"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}}})
    assert done.returncode == 2 and done.stdout == ""
    assert "MISSING_TRANSITION_TARGET: Missing 'Next' target: B at /States/A/Next" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("definition,input,message", [
    ("{not json", None, "INVALID_JSON_DESCRIPTION"),
    (LOOP, "{oops", "InvalidExecutionInput: the input file"),
    (LOOP, json.dumps({"blob": "x" * 300_000}), "over the limit of 262144 bytes"),
])
def test_run_bad_input_is_a_clear_error(tmp_path: Path, definition, input, message: str) -> None:
    done = cli(tmp_path, "run", definition=definition, input=input)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_run_missing_definition_file(tmp_path: Path) -> None:
    done = cli(tmp_path, "run", "--definition", str(tmp_path / "absent.json"))
    assert done.returncode == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr


def test_validate_ok_and_diagnostics(tmp_path: Path) -> None:
    assert cli(tmp_path, "validate", definition=LOOP).returncode == 0
    cyclic = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"},
                                         "Z": {"Type": "Pass", "End": True, "Unknown": 1}}}
    done = cli(tmp_path, "validate", definition=cyclic)
    assert done.returncode == 1
    assert "NO_TERMINAL_STATE" in done.stderr and "UNREACHABLE_STATE" in done.stderr
    assert "The field 'Unknown' is not supported by Step Functions for a Pass state at /States/Z/Unknown" in done.stderr


def test_aws_sdk_tasks_against_a_moto_server(tmp_path: Path, moto_endpoint: str) -> None:
    definition = {"StartAt": "Create", "States": {
        "Create": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:createBucket",
                   "Parameters": {"Bucket.$": "$.bucket"}, "ResultPath": None, "Next": "Put"},
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
                "Parameters": {"Bucket.$": "$.bucket", "Key": "manifest.json", "Body.$": "States.JsonToString($.manifest)"},
                "ResultPath": None, "Next": "List"},
        "List": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:listObjectsV2",
                 "Parameters": {"Bucket.$": "$.bucket"}, "ResultSelector": {"keys.$": "$.Contents[*].Key"},
                 "ResultPath": "$.listing", "Next": "Missing"},
        "Missing": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                    "Parameters": {"Bucket.$": "$.bucket", "Key": "absent"}, "End": True,
                    "Catch": [{"ErrorEquals": ["S3.NoSuchKeyException"], "ResultPath": "$.error", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True, "Parameters": {"keys.$": "$.listing.keys", "error.$": "$.error.Error"}}}}
    done = cli(tmp_path, "run", "--endpoint-url", moto_endpoint, definition=definition,
               input={"bucket": "pipeline-data", "manifest": {"classes": 3}})
    assert done.returncode == 0, done.stdout + done.stderr
    assert single_json(done.stdout)["output"] == {"keys": ["manifest.json"], "error": "S3.NoSuchKeyException"}


def test_sagemaker_sync_and_request_response_against_a_moto_server(tmp_path: Path, moto_endpoint: str) -> None:
    job = {"TrainingJobName.$": "$.job", "RoleArn": ROLE,
           "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "local/pytorch"},
           "OutputDataConfig": {"S3OutputPath": "s3://models/out"},
           "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
           "StoppingCondition": {"MaxRuntimeInSeconds": 600}}
    definition = {"StartAt": "Train", "States": {
        "Train": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync", "Parameters": job,
                  "ResultSelector": {"status.$": "$.TrainingJobStatus", "artifacts.$": "$.ModelArtifacts.S3ModelArtifacts"},
                  "ResultPath": "$.train", "Next": "Model"},
        "Model": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createModel",
                  "Parameters": {"ModelName.$": "$.job", "ExecutionRoleArn": ROLE,
                                 "PrimaryContainer": {"Image": "local/pytorch", "ModelDataUrl.$": "$.train.artifacts"}},
                  "ResultSelector": {"arn.$": "$.ModelArn"}, "ResultPath": "$.model", "Next": "Again"},
        "Again": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createEndpoint",
                  "Parameters": {"EndpointName.$": "$.job", "EndpointConfigName": "no-such-config"},
                  "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.missing", "Next": "Done"}], "End": True},
        "Done": {"Type": "Succeed"}}}
    events = tmp_path / "events.jsonl"
    done = cli(tmp_path, "run", "--endpoint-url", moto_endpoint, "--poll-interval", "0.1", "--events", str(events),
               definition=definition, input={"job": "dog-breed-1"})
    assert done.returncode == 0, done.stdout + done.stderr
    output = single_json(done.stdout)["output"]
    assert output["train"]["status"] == "Completed"
    assert output["model"]["arn"].endswith(":model/dog-breed-1")
    # SageMaker's ValidationException is not a modelled error: AWS names it AmazonSageMakerException.
    assert output["missing"]["Error"] == "SageMaker.AmazonSageMakerException"
    assert "no-such-config" in output["missing"]["Cause"]
    kinds = [json.loads(line)["type"] for line in events.read_text().splitlines()]
    assert kinds[:6] == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert kinds[-1] == "ExecutionSucceeded"
