"""destroy against moto: what the executions created (tagged with the pipeline) goes, autoscaling
registrations included, then the stack; other pipelines' resources stay."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.aws.test_deploy import PREFIX, REGION, STACK, aws, physical_ids, request  # noqa: F401
from workflow.aws import release
from workflow.aws.destroy import TAG_KEY, destroy
from workflow.cli.main import main

# moto's CloudFormation has no AWS::Lambda::Alias or AWS::Scheduler::Schedule; it skips them with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS::")
Capture = pytest.CaptureFixture[str]

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.6-cpu-py312"


def _serve(session: Any, name: str, pipeline: str) -> None:
    """What an execution leaves behind: a tagged model, endpoint config and endpoint, and its scaling."""
    sagemaker = session.client("sagemaker")
    tags = [{"Key": TAG_KEY, "Value": pipeline}, {"Key": "workflow:execution", "Value": "exec-1"}]
    sagemaker.create_model(ModelName=f"{name}-model", ExecutionRoleArn=ROLE,
                           PrimaryContainer={"Image": IMAGE, "ModelDataUrl": "s3://b/model.tar.gz"}, Tags=tags)
    sagemaker.create_endpoint_config(EndpointConfigName=f"{name}-config", Tags=tags, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": f"{name}-model", "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1}])
    sagemaker.create_endpoint(EndpointName=f"{name}-endpoint", EndpointConfigName=f"{name}-config", Tags=tags)
    session.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=f"endpoint/{name}-endpoint/variant/AllTraffic",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount", MinCapacity=1, MaxCapacity=3)


def test_destroy_removes_tagged_endpoints_their_scaling_and_the_stack(aws: Any,
        tmp_path: Path, capsys: Capture) -> None:
    release.deploy(release.prepare(request(tmp_path)), aws, say=lambda _: None, poll=0.01, timeout=60)
    machine = physical_ids(aws)["StateMachine"]
    sfn = aws.client("stepfunctions")
    sfn.start_execution(stateMachineArn=machine, name="still-running", input="{}")
    _serve(aws, PREFIX, PREFIX)
    _serve(aws, "other-team", "other-team")

    assert main(["destroy", "--region", REGION, "--stack-name", STACK, "--timeout", "60"]) == 0
    out = capsys.readouterr().out
    for line in ("stopped execution: still-running", f"deleted endpoint: {PREFIX}-endpoint",
                 f"deleted endpoint config: {PREFIX}-config", f"deleted model: {PREFIX}-model",
                 f"deregistered scalable target: endpoint/{PREFIX}-endpoint/variant/AllTraffic",
                 f"deleted stack: {STACK}"):
        assert line in out, out
    assert "other-team" not in out

    sagemaker = aws.client("sagemaker")
    assert [e["EndpointName"] for e in sagemaker.list_endpoints()["Endpoints"]] == ["other-team-endpoint"]
    assert [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]] == [
        "other-team-config"]
    assert [m["ModelName"] for m in sagemaker.list_models()["Models"]] == ["other-team-model"]
    targets = aws.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert [t["ResourceId"] for t in targets["ScalableTargets"]] == ["endpoint/other-team-endpoint/variant/AllTraffic"]
    stacks = aws.client("cloudformation").list_stacks(StackStatusFilter=["CREATE_COMPLETE", "UPDATE_COMPLETE"])
    assert stacks["StackSummaries"] == []
    assert sfn.list_state_machines()["stateMachines"] == []


def test_destroy_twice_says_there_is_nothing_left(aws: Any) -> None:
    said: list[str] = []
    removed = destroy(aws, REGION, STACK, PREFIX, say=said.append, poll=0.01, timeout=30)
    assert removed.lines() == []
    assert said == [f"stack {STACK} does not exist"]
