"""Every IAM statement of the stack: no wildcard actions, no unscoped resources, one role per principal."""
from __future__ import annotations

import re
from typing import Any

import pytest

from workflow.aws import iam
from workflow.aws.settings import LAMBDA_FUNCTIONS, CodeLocations, Images, StackSettings
from workflow.aws.template import build

PREFIX = "dogs-prod"
# Test input in the shape the SageMaker SDK returns (made-up registry accounts).
IMAGES = Images(training="111111111111.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.6-gpu-py312",
                inference="111111111111.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.6-cpu-py312",
                rule_evaluator="222222222222.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-debugger-rules:latest")
CODE = CodeLocations(lambdas={n: f"{PREFIX}/code/{n}-0123.zip" for n in LAMBDA_FUNCTIONS},
                     sourcedir=f"{PREFIX}/code/sourcedir-0123.tar.gz")


def settings(**extra: Any) -> StackSettings:
    return StackSettings(stack_name="dogs-prod", region="us-east-1", artifact_bucket="artifacts",
                         images=IMAGES, code=CODE, schedule_expression="rate(7 days)", schedule_input="{}",
                         create_data_bucket=True, data_bucket="dogs-data", **extra)


def roles(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == "AWS::IAM::Role"}


def text(resource: Any) -> str:
    """A resource as text: Fn::Sub strings as written, GetAtt/Ref as ${...}."""
    if isinstance(resource, str):
        return resource
    if "Fn::Sub" in resource:
        return resource["Fn::Sub"]
    if "Fn::GetAtt" in resource:
        return "${%s.%s}" % tuple(resource["Fn::GetAtt"])
    if "Ref" in resource:
        return "${%s}" % resource["Ref"]
    raise AssertionError(f"unexpected resource form {resource}")


def all_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, s) for name, role in roles(template).items() for s in iam.role_statements(role)]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return build(settings(kms_key_arn="arn:aws:kms:us-east-1:111122223333:key/abc",
                          subnet_ids=("subnet-1",), security_group_ids=("sg-1",)))


def test_no_statement_has_a_wildcard_action(template: dict[str, Any]) -> None:
    statements = all_statements(template)
    assert len(statements) > 30
    for role_name, stmt in statements:
        assert stmt["Effect"] == "Allow"
        for action in stmt["Action"]:
            assert "*" not in action, f"{role_name}/{stmt['Sid']} allows {action}"
            assert re.match(r"^[a-z0-9-]+:[A-Za-z]+$", action), f"{role_name}/{stmt['Sid']}: {action}"


def test_star_resources_only_in_the_allow_list_and_wildcards_are_prefixed(template: dict[str, Any]) -> None:
    starred = set()
    for role_name, stmt in all_statements(template):
        for resource in stmt["Resource"]:
            value = text(resource)
            if value == "*":
                assert stmt["Sid"] in iam.RESOURCE_STAR_ALLOWED, f"{role_name}/{stmt['Sid']} on '*'"
                starred.add(stmt["Sid"])
            elif "*" in value:
                scoped = (f"/{PREFIX}" in value or f":{PREFIX}" in value or value.startswith("${")
                          or any(value.endswith(p) for p in iam.UNPREFIXED_PATTERNS))
                assert scoped, f"{role_name}/{stmt['Sid']}: {value} is not scoped to the prefix"
    # Every allow-listed reason is used (no stale exemptions).
    assert starred == set(iam.RESOURCE_STAR_ALLOWED)


def test_any_resource_refuses_a_statement_not_in_the_allow_list() -> None:
    with pytest.raises(ValueError, match="RESOURCE_STAR_ALLOWED"):
        iam.any_resource("Anything", ["s3:GetObject"])


def test_one_role_per_principal_and_each_function_its_own(template: dict[str, Any]) -> None:
    principals = sorted(r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
                        for r in roles(template).values())
    assert principals == ["lambda.amazonaws.com"] * len(LAMBDA_FUNCTIONS) + ["sagemaker.amazonaws.com", "scheduler.amazonaws.com",
                                                          "states.amazonaws.com"]
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len({f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions}) == len(LAMBDA_FUNCTIONS)
    for role in roles(template).values():
        condition = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
        assert condition == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}


def _by_sid(template: dict[str, Any], role: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in iam.role_statements(template["Resources"][role])}


def test_state_machine_role_is_scoped(template: dict[str, Any]) -> None:
    sids = _by_sid(template, "StateMachineRole")
    passrole = sids["PassSageMakerRole"]
    assert passrole["Action"] == ["iam:PassRole"]
    assert passrole["Resource"] == [{"Fn::GetAtt": ["SageMakerExecutionRole", "Arn"]}]
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    invoked = {text(r) for r in sids["InvokeOwnFunctions"]["Resource"]}
    functions = ("StageDataFunction", "SmokeTestFunction", "PromoteModelFunction")  # not the inference one
    assert invoked == {f"${{{f}.Arn}}" for f in functions} | {f"${{{f}.Arn}}:*" for f in functions}
    rules = {text(r).rsplit("/", 1)[1] for r in sids["SyncJobEvents"]["Resource"]}
    assert rules == {"StepFunctionsGetEventsForSageMakerTrainingJobsRule",
                     "StepFunctionsGetEventsForSageMakerTuningJobsRule"}
    for sid in ("TrainingJobs", "TuningJobs", "Models", "EndpointConfigs", "Endpoints", "DeployEndpoints"):
        assert all(text(r).endswith(f"/{PREFIX}*") for r in sids[sid]["Resource"]), sid
    slr = sids["AutoScalingServiceLinkedRole"]
    assert slr["Condition"]["StringLike"]["iam:AWSServiceName"] == "sagemaker.application-autoscaling.amazonaws.com"
    assert "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint" in text(slr["Resource"][0])
    assert {"LogDelivery", "XRayTracing", "ApplicationAutoScaling"} <= sids.keys()


def test_inference_function_may_only_invoke_the_serving_endpoint(template: dict[str, Any]) -> None:
    sids = _by_sid(template, "InvokeEndpointRole")
    assert sids["InvokeServingEndpoint"]["Action"] == ["sagemaker:InvokeEndpoint"]
    assert text(sids["InvokeServingEndpoint"]["Resource"][0]).endswith(f":endpoint/{PREFIX}-endpoint")
    granted = {a for s in sids.values() for a in s["Action"]}
    assert not {a for a in granted if a.startswith(("s3:", "sagemaker:Create", "iam:"))}


def test_scheduler_role_only_starts_this_state_machine(template: dict[str, Any]) -> None:
    sids = _by_sid(template, "SchedulerRole")
    assert list(sids) == ["StartRetraining"]
    assert sids["StartRetraining"]["Action"] == ["states:StartExecution"]
    assert sids["StartRetraining"]["Resource"] == [{"Ref": "StateMachine"}]


def test_sagemaker_role_reads_data_writes_output_and_pulls_its_images(template: dict[str, Any]) -> None:
    sids = _by_sid(template, "SageMakerExecutionRole")
    assert {text(r) for r in sids["ReadDataAndCode"]["Resource"]} == {
        f"arn:${{AWS::Partition}}:s3:::dogs-data/{PREFIX}/data/*",
        f"arn:${{AWS::Partition}}:s3:::artifacts/{PREFIX}/code/*"}
    assert [text(r) for r in sids["WriteOutput"]["Resource"]] == [
        f"arn:${{AWS::Partition}}:s3:::dogs-data/{PREFIX}/output/*"]
    repositories = {text(r) for r in sids["PullImages"]["Resource"]}
    assert repositories == {
        "arn:${AWS::Partition}:ecr:eu-west-1:111111111111:repository/pytorch-training",
        "arn:${AWS::Partition}:ecr:eu-west-1:111111111111:repository/pytorch-inference",
        "arn:${AWS::Partition}:ecr:eu-west-1:222222222222:repository/sagemaker-debugger-rules"}
    assert sids["KmsKey"]["Resource"] == [{"Ref": "KmsKeyArn"}]
