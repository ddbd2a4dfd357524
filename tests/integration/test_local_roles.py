"""The stack's roles on the local IAM, from the very template deployed to AWS.

The template's roles are resolved for the local account (``local_roles``), created through
IAM's API (``apply_roles``), assumed by the service each trusts, and their policies decide
what the service's session may do.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.unit.test_iam_policies import settings
from workflow.aws.local_roles import apply_roles, local_roles
from workflow.aws.template import build
from workflow.local.access.authorizer import AccessDenied
from workflow.local.access.caller import LAMBDA, SAGEMAKER, STATES, ServicePrincipal
from workflow.local.server import LocalServer
from workflow.local.sts.facade import sts as sts_of

ACCOUNT, REGION = "123456789012", "us-east-1"
STACK = "dogs-prod"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"


def render(**parameters: str) -> dict[str, Any]:
    roles = local_roles(build(settings()), stack_name=STACK, account=ACCOUNT, region=REGION, parameters=parameters)
    return {role.logical_id: role for role in roles}


@pytest.mark.unit
def test_every_intrinsic_is_resolved_for_the_local_account() -> None:
    roles = render()
    assert set(roles) == {"SageMakerExecutionRole", "StateMachineRole", "StageDataRole", "SmokeTestRole",
                          "PromoteModelRole", "InvokeEndpointRole", "SchedulerRole"}
    for role in roles.values():
        text = role.trust_policy + "".join(role.policies.values())
        assert "Fn::" not in text and '"Ref"' not in text and "${" not in text, role.logical_id
        assert len(role.name) <= 64 and role.name.startswith(f"{STACK}-")
        trust = json.loads(role.trust_policy)["Statement"][0]
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    machine = json.loads(roles["StateMachineRole"].policies["state-machine"])["Statement"]
    by_sid = {s["Sid"]: s for s in machine}
    assert by_sid["PassSageMakerRole"]["Resource"] == [f"arn:aws:iam::{ACCOUNT}:role/{STACK}-SageMakerExecutionRole"]
    assert f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{STACK}-stage-data" in by_sid["InvokeOwnFunctions"]["Resource"]
    scheduler = json.loads(roles["SchedulerRole"].policies["start-execution"])["Statement"][0]
    assert scheduler["Resource"] == [f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}"]


@pytest.mark.unit
def test_conditional_statements_follow_the_parameters() -> None:
    def sids(roles: dict[str, Any], logical_id: str) -> set[str]:
        document = next(iter(roles[logical_id].policies.values()))
        return {s.get("Sid") for s in json.loads(document)["Statement"]}

    plain = render()
    assert "KmsKey" not in sids(plain, "SageMakerExecutionRole")
    assert "VpcNetworkInterfaces" not in sids(plain, "StageDataRole")
    keyed = render(KmsKeyArn=KMS_KEY, SubnetIds="subnet-1,subnet-2", SecurityGroupIds="sg-1")
    assert "KmsKey" in sids(keyed, "SageMakerExecutionRole")
    assert "VpcNetworkInterfaces" in sids(keyed, "StageDataRole")
    kms = next(s for s in json.loads(keyed["SageMakerExecutionRole"].policies["sagemaker-execution"])["Statement"]
               if s.get("Sid") == "KmsKey")
    assert kms["Resource"] == [KMS_KEY]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    local = LocalServer(Path(tmp_path_factory.mktemp("roles")), backends=(
        "workflow.local.iam:IamBackend", "workflow.local.sts:StsBackend"))
    thread = threading.Thread(target=local.serve_forever, daemon=True)
    thread.start()
    yield local
    local.shutdown()
    thread.join(timeout=30)


def client(server: LocalServer, service: str, **credentials: str) -> Any:
    keys = credentials or {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return boto3.session.Session(region_name=REGION, **keys).client(service, endpoint_url=server.endpoint_url)


@pytest.mark.integration
def test_roles_are_created_updated_and_read_back_through_iam(server: LocalServer) -> None:
    iam = client(server, "iam")
    roles = render()
    apply_roles(iam, list(roles.values()))
    for role in roles.values():
        got = iam.get_role(RoleName=role.name)["Role"]
        assert got["AssumeRolePolicyDocument"] == json.loads(role.trust_policy)
        assert got["Description"] == role.description
        for name, document in role.policies.items():
            assert iam.get_role_policy(RoleName=role.name, PolicyName=name)["PolicyDocument"] == json.loads(document)
    # Applying again changes nothing; a policy the template no longer has is removed.
    scheduler = roles["SchedulerRole"]
    iam.put_role_policy(RoleName=scheduler.name, PolicyName="left-over", PolicyDocument=scheduler.policies["start-execution"])
    apply_roles(iam, list(roles.values()))
    assert iam.list_role_policies(RoleName=scheduler.name)["PolicyNames"] == ["start-execution"]


@pytest.mark.integration
def test_a_service_assumes_its_role_and_its_policy_decides(server: LocalServer) -> None:
    roles = render()
    apply_roles(client(server, "iam"), list(roles.values()))
    sts = sts_of(server.ctx)
    assert sts is not None
    machine_role = f"arn:aws:iam::{ACCOUNT}:role/{roles['StateMachineRole'].name}"
    session = sts.assume_role(ServicePrincipal(STATES, machine_role), "execution-1", source_account=ACCOUNT)
    caller = session.caller
    assert caller.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/{roles['StateMachineRole'].name}/execution-1"
    # The session's credentials are real: a client signing with them is that session.
    identity = client(server, "sts", aws_access_key_id=session.access_key_id,
                      aws_secret_access_key=session.secret_access_key,
                      aws_session_token=session.session_token).get_caller_identity()
    assert identity["Arn"] == caller.arn

    sagemaker = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
    server.ctx.authorize(caller, "sagemaker:CreateTrainingJob", [f"{sagemaker}:training-job/{STACK}-train-1"])
    with pytest.raises(AccessDenied) as denied:
        server.ctx.authorize(caller, "sagemaker:CreateTrainingJob", [f"{sagemaker}:training-job/other"])
    assert denied.value.code == "AccessDeniedException"
    assert denied.value.message == (f"User: {caller.arn} is not authorized to perform: sagemaker:CreateTrainingJob on "
                                    f"resource: {sagemaker}:training-job/other because no identity-based policy "
                                    "allows the sagemaker:CreateTrainingJob action")
    sagemaker_role = f"arn:aws:iam::{ACCOUNT}:role/{roles['SageMakerExecutionRole'].name}"
    server.ctx.authorize(caller, "iam:PassRole", [sagemaker_role], {"iam:PassedToService": "sagemaker.amazonaws.com"})
    with pytest.raises(AccessDenied):
        server.ctx.authorize(caller, "iam:PassRole", [sagemaker_role], {"iam:PassedToService": "lambda.amazonaws.com"})

    # Each role trusts its own service, in this account only.
    with pytest.raises(AccessDenied):
        sts.assume_role(ServicePrincipal(LAMBDA, machine_role), "s", source_account=ACCOUNT)
    with pytest.raises(AccessDenied):
        sts.assume_role(ServicePrincipal(STATES, machine_role), "s", source_account="999999999999")
    with pytest.raises(ValueError, match="acts for no role"):
        sts.assume_role(ServicePrincipal(STATES), "s")


@pytest.mark.integration
def test_log_and_key_grants_decide_the_execution_roles_session(server: LocalServer) -> None:
    """The CloudWatch Logs and KMS gaps, put back in the rendered policy and decided for the
    session SageMaker opens on the role. (The local server has no CloudWatch Logs or KMS API
    for a job to call, so these are decided here, not at a state.)"""
    roles = render(KmsKeyArn=KMS_KEY)
    apply_roles(client(server, "iam"), list(roles.values()))
    sagemaker_role = f"arn:aws:iam::{ACCOUNT}:role/{roles['SageMakerExecutionRole'].name}"
    logs = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/TrainingJobs:log-stream:"

    def session() -> Any:
        tokens = sts_of(server.ctx)
        assert tokens is not None
        return tokens.assume_role(ServicePrincipal(SAGEMAKER, sagemaker_role), "SageMaker",
                                  source_account=ACCOUNT).caller

    caller = session()
    server.ctx.authorize(caller, "logs:CreateLogGroup", [logs])
    server.ctx.authorize(caller, "kms:GenerateDataKey", [KMS_KEY])

    role = roles["SageMakerExecutionRole"]
    document = json.loads(role.policies["sagemaker-execution"])
    for item in document["Statement"]:
        if item.get("Sid") == "SageMakerLogGroups":  # the bare group ARNs, without ":*"
            item["Resource"] = [r[:-2] if r.endswith(":*") else r for r in item["Resource"]]
        if item.get("Sid") == "KmsKey":
            item["Action"] = [a for a in item["Action"] if a != "kms:GenerateDataKey"]
    client(server, "iam").put_role_policy(RoleName=role.name, PolicyName="sagemaker-execution",
                                          PolicyDocument=json.dumps(document))
    caller = session()
    with pytest.raises(AccessDenied) as denied:
        server.ctx.authorize(caller, "logs:CreateLogGroup", [logs])
    assert f"logs:CreateLogGroup on resource: {logs} because" in denied.value.message
    with pytest.raises(AccessDenied) as denied:
        server.ctx.authorize(caller, "kms:GenerateDataKey", [KMS_KEY])
    assert f"kms:GenerateDataKey on resource: {KMS_KEY} because" in denied.value.message
    apply_roles(client(server, "iam"), list(render().values()))
