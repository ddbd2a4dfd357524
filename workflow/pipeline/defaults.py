"""The execution input of the embedded default: the whole pipeline in minutes on a laptop CPU.

Sized for two cores: a small synthetic dataset, ResNet-18 from scratch at a
small image size, two tuning jobs side by side, one endpoint instance that
may scale to two.
"""
from __future__ import annotations

from typing import Any

from workflow.aws.settings import DEFAULT_STACK_NAME, prefix_from_stack_name, prefix_uri

PREFIX = prefix_from_stack_name(DEFAULT_STACK_NAME)
#: Named like the default stack's endpoint on AWS, whose IAM policies require the prefix.
DEFAULT_ENDPOINT = f"{PREFIX}-endpoint"
#: The local run's bucket on the local server's S3, laid out as the stack's data bucket on
#: AWS: ``<prefix>/data`` (staged datasets), ``<prefix>/output``, ``<prefix>/incoming`` (zips).
LOCAL_BUCKET = f"{PREFIX}-local"
DATA_PREFIX = prefix_uri(LOCAL_BUCKET, PREFIX, "data")
OUTPUT_PREFIX = prefix_uri(LOCAL_BUCKET, PREFIX, "output")
INCOMING_PREFIX = prefix_uri(LOCAL_BUCKET, PREFIX, "incoming")

#: What the synthetic dataset of the default run looks like.
SYNTHETIC = {"num_classes": 5, "train_per_class": 40, "valid_per_class": 10, "test_per_class": 10,
             "image_size": 64, "seed": 0}


def default_input(dataset_uri: str, endpoint_name: str = DEFAULT_ENDPOINT) -> dict[str, Any]:
    return {
        "dataset_uri": dataset_uri,
        "data_prefix": DATA_PREFIX,
        "output_prefix": OUTPUT_PREFIX,
        "endpoint_name": endpoint_name,
        "quality_threshold": 0.5,
        "training": {
            "instance_type": "ml.m5.xlarge",
            "volume_size_gb": 1,
            "max_runtime_seconds": 900,
            "hyperparameters": {
                "arch": "resnet18", "pretrained": "false", "train-layers": "all",
                "epochs": "4", "image-size": "64", "optimizer": "adamw", "weight-decay": "0.0001",
                "patience": "3", "num-workers": "0", "seed": "1",
            },
        },
        "tuning": {
            "strategy": "Bayesian",
            "max_jobs": 2,
            "max_parallel_jobs": 2,
            "early_stopping": "Off",
            "ranges": {
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "0.001", "MaxValue": "0.01", "ScalingType": "Logarithmic"}],
                "CategoricalParameterRanges": [{"Name": "batch-size", "Values": ["16", "32"]}],
            },
        },
        "endpoint": {
            "instance_type": "ml.m5.large", "initial_instance_count": 1, "min_capacity": 1, "max_capacity": 2,
            "target_invocations_per_instance": 600, "scale_in_cooldown": 60, "scale_out_cooldown": 30,
            "poll_seconds": 1, "max_checks": 120,
        },
        "smoke_test": {"images": 5, "max_latency_ms": 3000},
    }


def quick_input(dataset_uri: str, endpoint_name: str = DEFAULT_ENDPOINT) -> dict[str, Any]:
    """The default input on less work, for demonstrations and tests: one tuning job in a
    narrow, known-good learning-rate range, two epochs, a lower quality bar (chance is 0.2)."""
    document = default_input(dataset_uri, endpoint_name)
    document["quality_threshold"] = 0.3
    document["tuning"].update(max_jobs=1, max_parallel_jobs=1)
    document["tuning"]["ranges"] = {"ContinuousParameterRanges": [
        {"Name": "lr", "MinValue": "0.002", "MaxValue": "0.004", "ScalingType": "Logarithmic"}]}
    document["training"]["hyperparameters"].update({"epochs": "2", "batch-size": "16"})
    return document
