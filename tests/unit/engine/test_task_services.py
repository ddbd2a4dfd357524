"""The services a definition's Tasks call, which the local runner connects to ahead."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflow.engine.task_services import task_services

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def task(resource: str, **more: object) -> dict:
    return {"Type": "Task", "Resource": resource, **more}


def test_the_pipeline_calls_lambda_sagemaker_and_application_autoscaling_in_that_order() -> None:
    definition = json.loads((ROOT / "statemachine.json").read_text())
    assert task_services(definition) == ["lambda", "sagemaker", "application-autoscaling"]


def test_tasks_in_parallel_branches_and_map_processors_count() -> None:
    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Next": "M", "Branches": [
            {"StartAt": "A", "States": {"A": task("arn:aws:states:::aws-sdk:s3:getObject", End=True)}}]},
        "M": {"Type": "Map", "End": True, "ItemProcessor": {"StartAt": "B", "States": {
            "B": task("arn:aws:lambda:us-east-1:123456789012:function:f", End=True)}}},
    }}
    assert task_services(definition) == ["s3", "lambda"]


def test_resources_without_a_client_are_left_out() -> None:
    definition = {"StartAt": "A", "States": {
        "A": task("arn:aws:states:::aws-sdk:nosuchservice:doIt", Next="B"),
        "B": task("not an arn", Next="C"),
        "C": task("arn:aws:states:us-east-1:123456789012:activity:work", Next="D"),
        "D": {"Type": "Pass", "End": True},
    }}
    assert task_services(definition) == []
