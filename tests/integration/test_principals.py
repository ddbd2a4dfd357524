"""The stack's roles as the principals of the local server's own work, with the policy gaps put back.

The roles come from the CloudFormation template (``local_stack_roles``); each test patches one
role's rendered policy the way a gap once stood, runs the smallest piece of the pipeline that
makes the call (one Task state taken from statemachine.json, one Lambda invocation, one
training job) and shows the AccessDenied at that place, naming the action and the resource;
with the policy as rendered the same piece gets past the check.
"""
from __future__ import annotations

import io
import json
import textwrap
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import LocalServerHandle, start_local_server
from tests.integration.sfn_helpers import wait_done
from tests.integration.test_training_jobs import METRICS, source_tar, wait_for
from workflow.aws.local_roles import RoleDefinition
from workflow.aws.packaging import lambda_zip
from workflow.pipeline.defaults import LOCAL_BUCKET, PREFIX
from workflow.pipeline.denial import Denial, find_denial
from workflow.pipeline.local_setup import function_name
from workflow.pipeline.local_stack_roles import function_role_arn, put_roles, role_arn, stack_roles

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "123456789012", "us-east-1"
DEFINITION = json.loads((ROOT / "statemachine.json").read_text())
SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


def denied(text: str, action: str, resource: str, role: str) -> Denial:
    """The AccessDenied that ``text`` (a state's cause, a job's FailureReason) reports,
    checked to name ``action`` on ``resource`` for ``role``."""
    denial = find_denial(text)
    assert denial is not None, text
    assert (denial.action, denial.resource, denial.role) == (action, resource, role)
    return denial


def patched(logical_id: str, change: Callable[[list[dict[str, Any]]], None]) -> list[RoleDefinition]:
    """The stack's roles with ``change`` applied to the statements of ``logical_id``'s policy."""
    out = []
    for role in stack_roles():
        if role.logical_id == logical_id:
            (name, text), = role.policies.items()
            document = json.loads(text)
            change(document["Statement"])
            role = RoleDefinition(role.logical_id, role.name, role.description, role.trust_policy,
                                  {name: json.dumps(document)})
        out.append(role)
    return out


def statement(statements: list[dict[str, Any]], sid: str) -> dict[str, Any]:
    return next(s for s in statements if s.get("Sid") == sid)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServerHandle]:
    handle = start_local_server(tmp_path_factory.mktemp("principals"))  # a new data dir: --iam enforce
    handle.client("s3").create_bucket(Bucket=LOCAL_BUCKET)
    yield handle
    handle.stop()


@pytest.fixture
def roles(server: LocalServerHandle) -> Iterator[Callable[[list[RoleDefinition]], None]]:
    """Apply a set of roles; the rendered ones are put back afterwards."""
    iam = server.client("iam")
    yield lambda definitions: put_roles(iam, definitions)
    put_roles(iam)


def one_task_machine(server: LocalServerHandle, state: str, substitutions: dict[str, str]) -> str:
    """A state machine of ``state`` alone, as statemachine.json writes it (its Retry and
    Catch left out: the failure is the state's own), run as the stack's state machine role."""
    body = {k: v for k, v in DEFINITION["States"][state].items() if k not in ("Next", "Retry", "Catch")}
    text = json.dumps({"StartAt": state, "States": {state: {**body, "End": True}}})
    for key, value in substitutions.items():
        text = text.replace("${" + key + "}", value)
    return server.client("stepfunctions").create_state_machine(
        name=f"{state}-{uuid.uuid4().hex[:6]}", definition=text,
        roleArn=role_arn("StateMachineRole"))["stateMachineArn"]


def run(server: LocalServerHandle, machine: str, document: dict[str, Any]) -> dict[str, Any]:
    sfn = server.client("stepfunctions")
    return wait_done(sfn, sfn.start_execution(stateMachineArn=machine, input=json.dumps(document))["executionArn"],
                     timeout=120)


def test_create_endpoint_without_the_endpoint_config_arn_fails_create_endpoint(server, roles) -> None:
    def drop_config(statements: list[dict[str, Any]]) -> None:
        deploy = statement(statements, "DeployEndpoints")
        deploy["Resource"] = [r for r in deploy["Resource"] if ":endpoint-config/" not in r]

    machine = one_task_machine(server, "CreateEndpoint", {"ResourcePrefix": PREFIX})
    document = {"endpoint_name": f"{PREFIX}-gap-endpoint", "names": {"endpoint_config": f"{PREFIX}-gap-config"}}
    roles(patched("StateMachineRole", drop_config))
    failed = run(server, machine, document)
    assert failed["status"] == "FAILED"
    # An error code SageMaker's model does not declare: the Java SDK's base exception, as on AWS.
    assert failed["error"] == "SageMaker.AmazonSageMakerException"
    denial = denied(failed["cause"], "sagemaker:CreateEndpoint",
                    f"{SAGEMAKER}:endpoint-config/{PREFIX}-gap-config", f"{PREFIX}-StateMachineRole")
    assert denial.policy_location(PREFIX) == "workflow/aws/iam_state_machine.py (statements)"

    roles(stack_roles())
    fixed = run(server, machine, document)
    # Authorized now: SageMaker itself answers that the config does not exist.
    assert fixed["status"] == "FAILED" and find_denial(fixed["cause"]) is None
    assert "Could not find endpoint configuration" in fixed["cause"], fixed["cause"]


@pytest.fixture(scope="module")
def stage_data(server: LocalServerHandle, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The StageData function as the local deployment registers it, with its stack role."""
    put_roles(server.client("iam"))
    code = lambda_zip("stage_data", tmp_path_factory.mktemp("build"), with_dependencies=False).path.read_bytes()
    return server.client("lambda").create_function(
        FunctionName=function_name("stage_data"), Runtime="python3.11", Role=function_role_arn("stage_data"),
        Handler="stage_data.app.handler", Code={"ZipFile": code}, Timeout=60,
        Environment={"Variables": {"POWERTOOLS_SERVICE_NAME": "stage_data"}})["FunctionArn"]


def test_stage_data_without_list_bucket_fails_stage_data(server, roles, stage_data) -> None:
    """The manifest check of StageData is answered 404 only to a caller who may list the
    bucket; without the ListBucket grant StageData fails there."""
    incoming = f"{PREFIX}/incoming/not-a-zip-{uuid.uuid4().hex[:6]}.zip"
    server.client("s3").put_object(Bucket=LOCAL_BUCKET, Key=incoming, Body=b"not a zip")
    machine = one_task_machine(server, "StageData", {"StageDataFunctionArn": stage_data})
    document = {"dataset_uri": f"s3://{LOCAL_BUCKET}/{incoming}",
                "data_prefix": f"s3://{LOCAL_BUCKET}/{PREFIX}/data"}
    roles(patched("StageDataRole", lambda statements: statements.remove(statement(statements, "ListDataPrefix"))))
    failed = run(server, machine, document)
    assert failed["status"] == "FAILED"
    denial = denied(failed["cause"], "s3:ListBucket", f"arn:aws:s3:::{LOCAL_BUCKET}", f"{PREFIX}-StageDataRole")
    assert denial.caller.endswith(f"/{function_name('stage_data')}")  # Lambda names the session after the function
    assert denial.policy_location(PREFIX) == "workflow/aws/lambdas.py (own_statements)"

    roles(stack_roles())
    fixed = run(server, machine, document)
    # Past the check: the function reads the zip and refuses it for what it is.
    assert fixed["status"] == "FAILED" and find_denial(fixed["cause"]) is None
    assert "is not a zip archive" in fixed["cause"], fixed["cause"]


PROBE = textwrap.dedent('''
    import boto3
    from botocore.exceptions import ClientError

    def handler(event, context):
        identity = boto3.client("sts").get_caller_identity()["Arn"]
        try:
            boto3.client("sagemaker").delete_endpoint(EndpointName=event["endpoint"])
        except ClientError as err:
            return {"identity": identity, "code": err.response["Error"]["Code"],
                    "message": err.response["Error"]["Message"]}
        return {"identity": identity, "code": None}
''')


def test_a_functions_own_credentials_cannot_do_what_its_role_does_not_allow(server) -> None:
    put_roles(server.client("iam"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("probe.py", PROBE)
    name = f"probe-{uuid.uuid4().hex[:6]}"
    lam = server.client("lambda")
    # The smoke test's role: it may invoke the pipeline's endpoints, not delete them.
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=function_role_arn("smoke_test"),
                        Handler="probe.handler", Code={"ZipFile": buffer.getvalue()}, Timeout=30)
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"endpoint": f"{PREFIX}-endpoint"}).encode())
    result = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, result
    assert result["identity"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{PREFIX}-SmokeTestRole/{name}"
    assert result["code"] == "AccessDeniedException"
    assert result["message"] == (
        f"User: {result['identity']} is not authorized to perform: sagemaker:DeleteEndpoint on resource: "
        f"{SAGEMAKER}:endpoint/{PREFIX}-endpoint because no identity-based policy allows the "
        "sagemaker:DeleteEndpoint action")


def test_a_training_job_reads_its_channels_as_its_execution_role(server, roles, tmp_path) -> None:
    s3 = server.client("s3")
    s3.put_object(Bucket=LOCAL_BUCKET, Key=f"{PREFIX}/data/probe/train/one.txt", Body=b"1")
    source = source_tar(tmp_path / "src", {"entry.py": "print('trained')\n"})
    code_key = f"{PREFIX}/code/probe-{uuid.uuid4().hex[:6]}.tar.gz"
    s3.upload_file(str(source), LOCAL_BUCKET, code_key)

    def request(name: str) -> dict[str, Any]:
        return {
            "TrainingJobName": name, "RoleArn": role_arn("SageMakerExecutionRole"),
            "AlgorithmSpecification": {"TrainingImage": "local-pytorch", "TrainingInputMode": "File",
                                       "MetricDefinitions": METRICS},
            "HyperParameters": {"sagemaker_program": '"entry.py"',
                                "sagemaker_submit_directory": json.dumps(f"s3://{LOCAL_BUCKET}/{code_key}")},
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": f"s3://{LOCAL_BUCKET}/{PREFIX}/data/probe/train"}}}],
            "OutputDataConfig": {"S3OutputPath": f"s3://{LOCAL_BUCKET}/{PREFIX}/output/probe"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
            "StoppingCondition": {"MaxRuntimeInSeconds": 120},
        }

    def finished(name: str) -> dict[str, Any]:
        sm = server.client("sagemaker")
        sm.create_training_job(**request(name))
        return wait_for(sm, name, timeout=180)

    def data_unreadable(statements: list[dict[str, Any]]) -> None:
        read = statement(statements, "ReadDataAndCode")
        read["Resource"] = [r for r in read["Resource"] if "/data/" not in r]

    roles(patched("SageMakerExecutionRole", data_unreadable))
    job = finished(f"{PREFIX}-probe-{uuid.uuid4().hex[:6]}")
    assert job["TrainingJobStatus"] == "Failed"
    denied(job["FailureReason"], "s3:GetObject",
           f"arn:aws:s3:::{LOCAL_BUCKET}/{PREFIX}/data/probe/train/one.txt", f"{PREFIX}-SageMakerExecutionRole")

    roles(stack_roles())
    job = finished(f"{PREFIX}-probe-{uuid.uuid4().hex[:6]}")
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")


def test_a_schedule_starts_executions_as_its_role(server) -> None:
    """The stack's SchedulerRole may start the pipeline's state machine and nothing else."""
    put_roles(server.client("iam"))
    sfn, scheduler = server.client("stepfunctions"), server.client("scheduler")
    passing = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machines = {}
    for name in (PREFIX, f"other-{uuid.uuid4().hex[:6]}"):
        found = [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name]
        machines[name] = found[0] if found else sfn.create_state_machine(
            name=name, definition=passing, roleArn=role_arn("StateMachineRole"))["stateMachineArn"]
    before = {name: len(sfn.list_executions(stateMachineArn=arn)["executions"]) for name, arn in machines.items()}
    due = (datetime.now(timezone.utc) + timedelta(seconds=2)).replace(microsecond=0, tzinfo=None)
    for name, arn in machines.items():
        scheduler.create_schedule(
            Name=f"as-role-{name}"[:64], ScheduleExpression=f"at({due.isoformat()})", FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": arn, "RoleArn": role_arn("SchedulerRole"), "RetryPolicy": {"MaximumRetryAttempts": 0}})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if len(sfn.list_executions(stateMachineArn=machines[PREFIX])["executions"]) > before[PREFIX]:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the schedule did not start the stack's state machine")
    other = next(name for name in machines if name != PREFIX)
    log = (Path(server.data_dir) / "server.log").read_text()
    deadline = time.monotonic() + 10
    while f"stateMachine:{other} because" not in log and time.monotonic() < deadline:
        time.sleep(0.2)
        log = (Path(server.data_dir) / "server.log").read_text()
    assert (f"assumed-role/{PREFIX}-SchedulerRole/EventBridgeScheduler is not authorized to perform: "
            f"states:StartExecution on resource: {machines[other]} because") in log
    assert len(sfn.list_executions(stateMachineArn=machines[other])["executions"]) == before[other]
