"""The execution input of the embedded default: the whole pipeline in minutes on a laptop CPU.

Sized for two cores: a small synthetic dataset, ResNet-18 from scratch at a
small image size, two tuning jobs side by side, one endpoint instance that
may scale to two.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from workflow.definition import INPUT_SCHEMA_FILE

DEFAULT_ENDPOINT = "dog-breeds"

#: What the synthetic dataset of the default run looks like.
SYNTHETIC = {"num_classes": 5, "train_per_class": 40, "valid_per_class": 10, "test_per_class": 10,
             "image_size": 64, "seed": 0}


def default_input(workdir: Path, dataset_uri: str, endpoint_name: str = DEFAULT_ENDPOINT) -> dict[str, Any]:
    workdir = workdir.resolve()
    return {
        "dataset_uri": dataset_uri,
        "data_prefix": (workdir / "data").as_uri(),
        "output_prefix": (workdir / "output").as_uri(),
        "endpoint_name": endpoint_name,
        "quality_threshold": 0.5,
        "training": {
            "instance_type": "local",
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
            "instance_type": "local", "initial_instance_count": 1, "min_capacity": 1, "max_capacity": 2,
            "target_invocations_per_instance": 600, "scale_in_cooldown": 60, "scale_out_cooldown": 30,
            "poll_seconds": 1, "max_checks": 120,
        },
        "smoke_test": {"images": 5, "max_latency_ms": 3000},
    }


class InputError(ValueError):
    """The execution input does not match statemachine.input.schema.json."""


def _where(error: jsonschema.ValidationError) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)


def validate_input(document: Any) -> None:
    """Raises InputError naming every field at fault, e.g. ``$.tuning.max_jobs: ...``."""
    schema = json.loads(INPUT_SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    problems = [f"{_where(e)}: {e.message}" for e in sorted(validator.iter_errors(document), key=str)]
    if isinstance(document, dict):
        problems += _cross_field_problems(document)
    if problems:
        raise InputError("invalid execution input:\n  " + "\n  ".join(problems))


def _cross_field_problems(doc: dict[str, Any]) -> list[str]:
    out = []
    tuning, endpoint = doc.get("tuning") or {}, doc.get("endpoint") or {}
    if isinstance(tuning, dict) and isinstance(tuning.get("max_parallel_jobs"), int) \
            and isinstance(tuning.get("max_jobs"), int) and tuning["max_parallel_jobs"] > tuning["max_jobs"]:
        out.append("$.tuning.max_parallel_jobs: must not exceed $.tuning.max_jobs")
    if isinstance(endpoint, dict) and all(isinstance(endpoint.get(k), int) for k in ("min_capacity", "max_capacity")):
        if endpoint["min_capacity"] > endpoint["max_capacity"]:
            out.append("$.endpoint.min_capacity: must not exceed $.endpoint.max_capacity")
        if isinstance(endpoint.get("initial_instance_count"), int) and not (
                endpoint["min_capacity"] <= endpoint["initial_instance_count"] <= endpoint["max_capacity"]):
            out.append("$.endpoint.initial_instance_count: must lie between min_capacity and max_capacity")
    return out
