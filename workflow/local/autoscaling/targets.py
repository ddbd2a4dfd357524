"""What Application Auto Scaling checks about a SageMaker variant target, and its names."""
from __future__ import annotations

import re
from typing import Any

from workflow.local.errors import ClientError, ValidationException

NAMESPACE = "sagemaker"
DIMENSION = "sagemaker:variant:DesiredInstanceCount"
METRIC = "SageMakerVariantInvocationsPerInstance"
_RESOURCE = re.compile(r"endpoint/(?P<endpoint>[^/]+)/variant/(?P<variant>[^/]+)")

TARGET = "autoscaling.target"
POLICY = "autoscaling.policy"
ACTIVITY = "autoscaling.activity"


class ObjectNotFoundException(ClientError):
    pass


def key(params: dict[str, Any]) -> str:
    return "|".join((params["ServiceNamespace"], params["ResourceId"], params["ScalableDimension"]))


def parse(params: dict[str, Any]) -> tuple[str, str]:
    """(endpoint, variant) of a request's target, after the namespace and dimension checks."""
    if params["ServiceNamespace"] != NAMESPACE:
        raise ValidationException(
            f"Unsupported service namespace {params['ServiceNamespace']!r}: the local "
            f"Application Auto Scaling scales {NAMESPACE} endpoint variants only."
        )
    match = _RESOURCE.fullmatch(params["ResourceId"])
    if not match:
        raise ValidationException(
            f"Unsupported resource ID {params['ResourceId']!r}; expected "
            "endpoint/<endpoint-name>/variant/<variant-name>."
        )
    if params["ScalableDimension"] != DIMENSION:
        raise ValidationException(
            f"Unsupported scalable dimension {params['ScalableDimension']!r} for service "
            f"namespace {NAMESPACE}; expected {DIMENSION}."
        )
    return match["endpoint"], match["variant"]


def not_registered(params: dict[str, Any]) -> ObjectNotFoundException:
    return ObjectNotFoundException(
        f"No scalable target registered for service namespace: {params['ServiceNamespace']}, "
        f"resource ID: {params['ResourceId']}, scalable dimension: {params['ScalableDimension']}"
    )


def check_policy(params: dict[str, Any]) -> dict[str, Any]:
    """The target-tracking configuration, checked; the only policy the local scaler runs."""
    if params.get("PolicyType", "StepScaling") != "TargetTrackingScaling":
        raise ValidationException(
            "PolicyType: the local Application Auto Scaling supports TargetTrackingScaling only."
        )
    config = params.get("TargetTrackingScalingPolicyConfiguration")
    if not config:
        raise ValidationException(
            "TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy."
        )
    metric = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
    if metric != METRIC:
        raise ValidationException(
            "TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification."
            f"PredefinedMetricType must be {METRIC} (got {metric!r})."
        )
    if config["TargetValue"] <= 0:
        raise ValidationException(
            "TargetTrackingScalingPolicyConfiguration.TargetValue must be greater than 0."
        )
    return config
