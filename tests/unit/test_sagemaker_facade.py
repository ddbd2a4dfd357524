"""SageMaker's facade: typed endpoint state, and a capacity change validated and authorized as a
request is (Application Auto Scaling once called the backend's handle() past both)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflow.local.access.authorizer import AccessDenied, Authorizer
from workflow.local.access.caller import APPLICATION_AUTOSCALING, AssumedRole, ServicePrincipal
from workflow.local.context import ServerContext
from workflow.local.errors import ValidationException
from workflow.local.iam.facade import RoleDirectory
from workflow.local.iam.records import ROLE, Role, role_key
from workflow.local.sagemaker import SageMakerBackend
from workflow.local.sagemaker.facade import EndpointState, SageMaker, VariantCapacity, sagemaker
from workflow.local.sagemaker.hosting.records import ENDPOINT
from workflow.local.store import Store

pytestmark = pytest.mark.unit
ACCOUNT = "123456789012"
SCALER = ServicePrincipal(APPLICATION_AUTOSCALING)


@pytest.fixture
def ctx(tmp_path: Path) -> ServerContext:
    ctx = ServerContext(data_dir=tmp_path, store=Store(tmp_path / "db.sqlite3"),
                        endpoint_url="http://127.0.0.1:9")
    ctx.backends["sagemaker"] = SageMakerBackend(ctx)
    ctx.store.put(ENDPOINT, "dogs", {
        "EndpointName": "dogs", "EndpointArn": f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:endpoint/dogs",
        "EndpointStatus": "Creating", "FailureReason": "earlier",
        "ProductionVariants": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 2,
                                "CurrentInstanceCount": 1}]})
    return ctx


def facade(ctx: ServerContext) -> SageMaker:
    service = sagemaker(ctx)
    assert service is not None
    return service


def test_an_endpoint_is_told_as_a_typed_state(ctx: ServerContext) -> None:
    assert facade(ctx).endpoint(SCALER, "dogs") == EndpointState(
        "dogs", "Creating", "earlier", (VariantCapacity("AllTraffic", desired=2, current=1),))
    assert facade(ctx).endpoint(SCALER, "cats") is None


def test_a_server_without_sagemaker_has_no_facade(tmp_path: Path) -> None:
    bare = ServerContext(data_dir=tmp_path, store=Store(tmp_path / "db.sqlite3"), endpoint_url="http://x")
    assert sagemaker(bare) is None


def test_a_capacity_change_is_validated_against_the_operation_shape(ctx: ServerContext) -> None:
    with pytest.raises(ValidationException, match=r"DesiredInstanceCount, value: -1, valid min value: 0"):
        facade(ctx).set_instance_count(SCALER, "dogs", "AllTraffic", -1)


def test_a_capacity_change_goes_through_the_operation_and_its_rules(ctx: ServerContext) -> None:
    # UpdateEndpointWeightsAndCapacities refuses an endpoint that is still being created.
    with pytest.raises(ValidationException, match="Cannot update in-progress endpoint"):
        facade(ctx).set_instance_count(SCALER, "dogs", "AllTraffic", 3)
    assert ctx.store.get(ENDPOINT, "dogs")["ProductionVariants"][0]["DesiredInstanceCount"] == 2


def test_a_role_session_needs_the_permission(ctx: ServerContext) -> None:
    role = Role("scaler", "AROAEXAMPLE", f"arn:aws:iam::{ACCOUNT}:role/scaler", "/", datetime.now(timezone.utc),
                "{}", policies={"p": json.dumps({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "sagemaker:DescribeEndpoint", "Resource": "*"}]})})
    ctx.store.put(ROLE, role_key(role.name), role.to_document())
    ctx.authorizer = Authorizer(RoleDirectory(ctx.store, ACCOUNT))
    caller = AssumedRole(ACCOUNT, role.name, role.arn, role.role_id, "s", "ASIAEXAMPLE", datetime.now(timezone.utc))
    assert facade(ctx).endpoint(caller, "dogs") is not None
    with pytest.raises(AccessDenied, match="sagemaker:UpdateEndpointWeightsAndCapacities"):
        facade(ctx).set_instance_count(caller, "dogs", "AllTraffic", 3)
