"""Application Auto Scaling in-process: targets, policies, errors, and the scaling rule."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from workflow.local.autoscaling.backend import AutoScalingBackend
from workflow.local.autoscaling.scaler import desired_capacity
from workflow.local.autoscaling.targets import ObjectNotFoundException
from workflow.local.context import ServerContext
from workflow.local.errors import ValidationException
from workflow.local.sagemaker import SageMakerBackend
from workflow.local.sagemaker_runtime.metrics import InvocationMetrics
from workflow.local.store import Store

_MODEL = botocore.session.get_session().get_service_model("application-autoscaling")
TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/dogs/variant/AllTraffic",
          "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
POLICY = {
    "PolicyName": "invocations", "PolicyType": "TargetTrackingScaling",
    "TargetTrackingScalingPolicyConfiguration": {
        "TargetValue": 70.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 300,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
    },
}


@pytest.fixture
def aas(tmp_path: Path) -> Any:
    ctx = ServerContext(data_dir=tmp_path, store=Store(tmp_path / "db.sqlite3"),
                        endpoint_url="http://127.0.0.1:1")
    # An endpoint record as the hosting part stores it: the target's variant must exist.
    ctx.store.put("sagemaker.endpoint", "dogs", {
        "EndpointName": "dogs", "EndpointStatus": "InService",
        "ProductionVariants": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 1}],
    })
    ctx.backends["sagemaker"] = SageMakerBackend(ctx)
    backend = AutoScalingBackend(ctx)

    def call(operation: str, **params: Any) -> dict[str, Any]:
        validate_parameters(params, _MODEL.operation_model(operation).input_shape)
        return backend.handle(operation, params)

    return call


def test_target_and_policy_round_trip(aas: Any) -> None:
    arn = aas("RegisterScalableTarget", MinCapacity=1, MaxCapacity=3, **TARGET)["ScalableTargetARN"]
    assert arn.startswith("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/")
    # Re-registering updates the range and keeps the ARN.
    assert aas("RegisterScalableTarget", MaxCapacity=4, **TARGET)["ScalableTargetARN"] == arn
    (target,) = aas("DescribeScalableTargets", ServiceNamespace="sagemaker")["ScalableTargets"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    put = aas("PutScalingPolicy", **TARGET, **POLICY)
    assert ":scalingPolicy:" in put["PolicyARN"] and put["PolicyARN"].endswith("policyName/invocations")
    assert [a["AlarmName"].split("-Alarm")[1].split("-")[0] for a in put["Alarms"]] == ["High", "Low"]
    assert aas("PutScalingPolicy", **TARGET, **POLICY)["PolicyARN"] == put["PolicyARN"]
    (policy,) = aas("DescribeScalingPolicies", ServiceNamespace="sagemaker",
                    ResourceId=TARGET["ResourceId"])["ScalingPolicies"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 70.0
    assert aas("DescribeScalingPolicies", ServiceNamespace="sagemaker",
               PolicyNames=["other"])["ScalingPolicies"] == []
    aas("DeregisterScalableTarget", **TARGET)
    assert aas("DescribeScalableTargets", ServiceNamespace="sagemaker")["ScalableTargets"] == []
    assert aas("DescribeScalingPolicies", ServiceNamespace="sagemaker")["ScalingPolicies"] == []
    assert aas("DescribeScalingActivities", ServiceNamespace="sagemaker")["ScalingActivities"] == []


@pytest.mark.parametrize("change, message", [
    ({"ServiceNamespace": "ecs"}, "Unsupported service namespace 'ecs'"),
    ({"ResourceId": "endpoint/dogs"}, "Unsupported resource ID"),
    ({"ScalableDimension": "sagemaker:variant:DesiredProvisionedConcurrency"},
     "Unsupported scalable dimension"),
    ({"ResourceId": "endpoint/cats/variant/AllTraffic"},
     "variant AllTraffic of endpoint cats does not exist"),
    ({"MinCapacity": 3, "MaxCapacity": 2}, r"MinCapacity \(3\) must be between 0 and MaxCapacity \(2\)"),
    ({"MinCapacity": None}, "MinCapacity and MaxCapacity are required"),
])
def test_bad_targets_are_refused(aas: Any, change: dict, message: str) -> None:
    params = {**TARGET, "MinCapacity": 1, "MaxCapacity": 2, **change}
    params = {k: v for k, v in params.items() if v is not None}
    with pytest.raises(ValidationException, match=message):
        aas("RegisterScalableTarget", **params)
    assert aas("DescribeScalableTargets", ServiceNamespace="sagemaker")["ScalableTargets"] == []


def test_policy_errors(aas: Any) -> None:
    with pytest.raises(ObjectNotFoundException,
                       match="No scalable target registered for service namespace: sagemaker"):
        aas("PutScalingPolicy", **TARGET, **POLICY)
    aas("RegisterScalableTarget", MinCapacity=1, MaxCapacity=3, **TARGET)
    wrong_metric = {**POLICY["TargetTrackingScalingPolicyConfiguration"], "PredefinedMetricSpecification": {
        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}}
    with pytest.raises(ValidationException, match="must be SageMakerVariantInvocationsPerInstance"):
        aas("PutScalingPolicy", **TARGET,
            **{**POLICY, "TargetTrackingScalingPolicyConfiguration": wrong_metric})
    with pytest.raises(ValidationException, match="TargetTrackingScaling only"):
        aas("PutScalingPolicy", **TARGET, PolicyName="p", PolicyType="StepScaling")
    with pytest.raises(ObjectNotFoundException, match="policy name: invocations"):
        aas("DeleteScalingPolicy", PolicyName="invocations", **TARGET)
    aas("DeregisterScalableTarget", **TARGET)
    with pytest.raises(ObjectNotFoundException, match="resource ID: endpoint/dogs/variant/AllTraffic"):
        aas("DeregisterScalableTarget", **TARGET)


@pytest.mark.parametrize("current, metric, expected", [
    (1, 210.0, 3),   # three times the target: three instances
    (2, 100.0, 3),   # ceil(2 * 100 / 70)
    (1, 1000.0, 4),  # never above MaxCapacity
    (4, 10.0, 1),    # scale in to what the load needs
    (3, 0.0, 1),     # never below MinCapacity
])
def test_target_tracking_capacity(current: int, metric: float, expected: int) -> None:
    assert desired_capacity(current, metric, 70.0, low=1, high=4) == expected


def test_metrics_window_counts_per_variant() -> None:
    metrics = InvocationMetrics(window=60)
    for status in (200, 200, 415, 500):
        metrics.record("dogs", "A", 0.010, status)
    metrics.record("dogs", "B", 0.020, 200)
    assert metrics.invocations("dogs", "A", 60) == 4
    assert metrics.invocations("dogs", "B", 60) == 1
    summary = metrics.summary("dogs", "A")
    assert (summary["Invocation4XXErrors"], summary["Invocation5XXErrors"]) == (1, 1)
    assert summary["ModelLatencyP50Ms"] == pytest.approx(10.0)
    metrics.forget("dogs")
    assert metrics.invocations("dogs", "A", 60) == 0
