"""deploy against moto: the stack is created through a change set, a second deploy changes nothing,
and the definition it deploys is, after substitution, byte-identical to the local one."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from workflow import definition
from workflow.aws import release
from workflow.aws.state_machine import substitution_values

# moto's CloudFormation has no AWS::Lambda::Alias or AWS::Scheduler::Schedule; it skips them with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
Capture = pytest.CaptureFixture[str]

REGION = "us-east-1"
STACK = "dog-breed-pipeline"
PREFIX = "dog-breed-pipeline"
BUCKET = "pipeline-artifacts"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A moto account with the artifact bucket; no request leaves the process."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SFN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        session = boto3.session.Session(region_name=REGION)
        session.client("s3").create_bucket(Bucket=BUCKET)
        yield session


def request(tmp_path: Path, **extra: Any) -> release.Request:
    return release.Request(stack_name=STACK, region=REGION, bucket=BUCKET, build_dir=tmp_path / "build",
                           with_dependencies=False, **extra)


def deploy(session: Any, req: release.Request) -> tuple[release.changeset.DeployResult, list[str]]:
    said: list[str] = []
    result = release.deploy(release.prepare(req), session, say=said.append, poll=0.01, timeout=60)
    return result, said


def physical_ids(session: Any) -> dict[str, str]:
    resources = session.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources if r["LogicalResourceId"]}


def resolve(value: Any, session: Any) -> str:
    """What CloudFormation resolves a DefinitionSubstitutions value to, read back from the deployed resources."""
    if isinstance(value, str):
        return value
    logical, attribute = value["Fn::GetAtt"]
    assert attribute == "Arn"
    physical = physical_ids(session)[logical]
    if logical.endswith("Function"):
        return session.client("lambda").get_function(FunctionName=physical)["Configuration"]["FunctionArn"]
    return session.client("iam").get_role(RoleName=physical)["Role"]["Arn"]


def test_deploy_creates_the_stack_and_a_second_deploy_is_a_no_op(aws: Any, tmp_path: Path) -> None:
    result, said = deploy(aws, request(tmp_path))
    assert result.changed and result.status == "CREATE_COMPLETE"
    assert any("Add" in line and "StateMachine" in line and "AWS::StepFunctions::StateMachine" in line
               for line in said), said
    assert any("CREATE_COMPLETE" in line for line in said)
    cfn = aws.client("cloudformation")
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    ids = physical_ids(aws)
    for logical in ("StateMachine", "StateMachineRole", "SageMakerExecutionRole", "StageDataFunction",
                    "SmokeTestFunction", "InvokeEndpointFunction", "StateMachineLogs"):
        assert logical in ids, logical
    functions = {f["FunctionName"]: f for f in aws.client("lambda").list_functions()["Functions"]}
    assert functions[f"{PREFIX}-invoke-endpoint"]["Handler"] == "invoke_endpoint.app.handler"
    assert functions[f"{PREFIX}-stage-data"]["Runtime"] == "python3.12"
    events_before = len(cfn.describe_stack_events(StackName=STACK)["StackEvents"])

    again, said_again = deploy(aws, request(tmp_path))
    assert not again.changed
    assert any("nothing to change" in line for line in said_again), said_again
    assert any(line.startswith("unchanged s3://") for line in said_again)
    assert len(cfn.describe_stack_events(StackName=STACK)["StackEvents"]) == events_before
    left = cfn.list_change_sets(StackName=STACK)["Summaries"]
    assert [c["ExecutionStatus"] for c in left] == ["EXECUTE_COMPLETE"]  # the empty one was deleted


def test_a_changed_setting_updates_the_stack(aws: Any, tmp_path: Path) -> None:
    deploy(aws, request(tmp_path))
    result, said = deploy(aws, request(tmp_path, provisioned_concurrency=2))
    assert result.changed and result.status == "UPDATE_COMPLETE"
    assert any("updating stack" in line for line in said)


def test_deployed_definition_is_byte_identical_to_the_local_one(aws: Any, tmp_path: Path) -> None:
    prepared = release.prepare(request(tmp_path))
    release.deploy(prepared, aws, say=lambda _: None, poll=0.01, timeout=60)
    machine = aws.client("stepfunctions").describe_state_machine(stateMachineArn=physical_ids(aws)["StateMachine"])
    deployed_text = machine["definition"]
    # The substitutions as CloudFormation stored them (after the template's trip through S3 and JSON).
    body = aws.client("cloudformation").get_template(StackName=STACK)["TemplateBody"]
    stored = json.loads(body) if isinstance(body, str) else body
    properties = stored["Resources"]["StateMachine"]["Properties"]
    values = {key: resolve(value, aws) for key, value in properties["DefinitionSubstitutions"].items()}
    # Step Functions substitutes into the uploaded text; the local server renders statemachine.json.
    on_aws = definition.render(values, text=deployed_text)
    local = definition.render(definition.substitutions(**{k: v for k, v in values.items()
                                                          if k != "MetricDefinitions"}))
    assert on_aws == local
    assert deployed_text.encode() == definition.DEFINITION_FILE.read_bytes()
    assert json.loads(on_aws)["States"]["Train"]["Parameters"]["RoleArn"] == values["SageMakerRoleArn"]
    assert values["StageDataFunctionArn"].startswith(f"arn:aws:lambda:{REGION}:")


def test_substitutions_cover_every_placeholder_exactly(tmp_path: Path) -> None:
    prepared = release.prepare(request(tmp_path))
    substitutions = prepared.template["Resources"]["StateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert set(substitutions) == definition.placeholders(definition.template_text()) == set(definition.PLACEHOLDERS)
    assert substitutions == substitution_values(prepared.settings)
    assert substitutions["SourceDirUri"].startswith(f"s3://{BUCKET}/{PREFIX}/code/sourcedir-")
    assert substitutions["TrainingImage"].endswith("-py312") and ".dkr.ecr.us-east-1." in substitutions["TrainingImage"]



def test_the_deploy_command_shows_the_changes_then_has_nothing_to_do(aws: Any, tmp_path: Path, capsys: Capture) -> None:
    from workflow.cli.main import main

    command = ["deploy", "--region", REGION, "--bucket", BUCKET, "--no-deps", "--build-dir", str(tmp_path),
               "--schedule", "rate(1 day)"]
    assert main(command) == 0
    out = capsys.readouterr().out
    assert f"creating stack {STACK}" in out and "RetrainingSchedule" in out and "CREATE_COMPLETE" in out
    assert main(command) == 0
    assert "nothing to change" in capsys.readouterr().out


def test_a_missing_bucket_is_a_clear_error(aws: Any, tmp_path: Path, capsys: Capture) -> None:
    from workflow.cli.main import main

    assert main(["deploy", "--region", REGION, "--bucket", "no-such-bucket", "--no-deps",
                 "--build-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "NoSuchBucket: --bucket no-such-bucket does not exist" in err, err
    assert "Traceback" not in err


def test_a_bucket_in_another_region_is_refused(aws: Any, tmp_path: Path) -> None:
    aws.client("s3").create_bucket(Bucket="far-away", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    req = release.Request(stack_name=STACK, region=REGION, bucket="far-away", build_dir=tmp_path,
                          with_dependencies=False)
    with pytest.raises(release.upload.BucketError, match="is in eu-west-1, the stack goes to us-east-1"):
        release.deploy(release.prepare(req), aws, say=lambda _: None)
    assert aws.client("cloudformation").list_stacks()["StackSummaries"] == []
