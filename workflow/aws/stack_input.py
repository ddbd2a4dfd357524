"""The execution input on AWS: the stack's extra rules and the retraining schedule's default."""
from __future__ import annotations

from typing import Any

from workflow.aws.settings import DEBUGGER_SUPPORTED, FRAMEWORK_VERSION, StackSettings
from workflow.execution_input import InputError, check


def check_for_stack(document: dict[str, Any], prefix: str, source: str = "execution input") -> None:
    """On AWS the IAM policies only allow endpoints named with the stack's prefix."""
    name = document.get("endpoint_name", "")
    if not name.startswith(prefix):
        raise InputError(f"ValidationException: {source}: endpoint_name {name!r} must start with the stack's "
                         f"resource prefix {prefix!r} (its IAM policies are scoped to that prefix)")
    for key in ("data_prefix", "output_prefix"):
        if not str(document.get(key, "")).startswith("s3://"):
            raise InputError(f"ValidationException: {source}: {key} must be an s3:// URI on AWS")
    if (document.get("diagnostics") or {}).get("sagemaker_debugger") and not DEBUGGER_SUPPORTED:
        raise InputError(
            f"ValidationException: {source}: diagnostics.sagemaker_debugger cannot run on AWS with this "
            f"stack: its PyTorch {FRAMEWORK_VERSION} training image ships no smdebug (only the 2.0 and 2.1 "
            "images do), so the Debugger hook would never run and its rules would see no tensors. Leave it "
            "off: train.py's built-in checks judge the same five rules on every account.")


def default_aws_input(settings: StackSettings, *, dataset_uri: str = "",
                      training_instance_type: str = "ml.g4dn.xlarge",
                      endpoint_instance_type: str = "ml.m5.large") -> dict[str, Any]:
    """The stored input of the retraining schedule: the real dataset, sized for SageMaker."""
    return check({
        "dataset_uri": dataset_uri or f"{settings.incoming_prefix}/dogImages.zip",
        "data_prefix": settings.data_prefix,
        "output_prefix": settings.output_prefix,
        "endpoint_name": settings.endpoint_name,
        "quality_threshold": 0.6,
        "training": {
            "instance_type": training_instance_type, "volume_size_gb": 30, "max_runtime_seconds": 14400,
            "hyperparameters": {"arch": "resnet50", "pretrained": "true", "epochs": "10",
                                "train-layers": "fc", "profile": "true"},
        },
        "tuning": {
            "strategy": "Bayesian", "max_jobs": 4, "max_parallel_jobs": 2, "early_stopping": "Auto",
            "ranges": {
                "ContinuousParameterRanges": [{"Name": "lr", "MinValue": "0.0001", "MaxValue": "0.01",
                                               "ScalingType": "Logarithmic"}],
                "CategoricalParameterRanges": [{"Name": "batch-size", "Values": ["32", "64"]}],
            },
        },
        "endpoint": {
            "instance_type": endpoint_instance_type, "initial_instance_count": 1, "min_capacity": 1,
            "max_capacity": 3, "target_invocations_per_instance": 100, "scale_in_cooldown": 300,
            "scale_out_cooldown": 60, "poll_seconds": 30, "max_checks": 60,
        },
        "smoke_test": {"images": 10, "max_latency_ms": 3000},
    }, "default AWS input")
