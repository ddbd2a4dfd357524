"""Execution input: checked against statemachine.input.schema.json, and the AWS default.

The CLI's ``start`` and the deploy of the retraining schedule both check the
input here, so a bad field is reported before anything runs, by its path.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from workflow.definition import INPUT_SCHEMA_FILE
from workflow.aws.settings import StackSettings


class InputError(ValueError):
    """The execution input is invalid; the message names each bad field."""


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(INPUT_SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _field(path: Any) -> str:
    parts = [str(p) if not isinstance(p, int) else f"[{p}]" for p in path]
    return ".".join(parts).replace(".[", "[") or "(the input)"


def problems(document: Any) -> list[str]:
    """One line per violation, naming the field: ``training.instance_type: 'x' does not match ...``."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [f"{_field(e.absolute_path)}: {e.message}" for e in errors]


def check(document: Any, source: str = "execution input") -> dict[str, Any]:
    found = problems(document)
    if found:
        raise InputError(f"ValidationException: {source} does not match statemachine.input.schema.json:\n  "
                         + "\n  ".join(found))
    return document


def load(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"ValidationException: input file {path} does not exist") from exc
    except ValueError as exc:
        raise InputError(f"ValidationException: input file {path} is not JSON: {exc}") from exc
    return check(document, f"input file {path}")


def check_for_stack(document: dict[str, Any], prefix: str, source: str = "execution input") -> None:
    """On AWS the IAM policies only allow endpoints named with the stack's prefix."""
    name = document.get("endpoint_name", "")
    if not name.startswith(prefix):
        raise InputError(f"ValidationException: {source}: endpoint_name {name!r} must start with the stack's "
                         f"resource prefix {prefix!r} (its IAM policies are scoped to that prefix)")
    for key in ("data_prefix", "output_prefix"):
        if not str(document.get(key, "")).startswith("s3://"):
            raise InputError(f"ValidationException: {source}: {key} must be an s3:// URI on AWS")


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
