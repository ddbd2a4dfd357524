"""Image URIs come from the SageMaker SDK's tables, offline, for the region and instance type asked."""
from __future__ import annotations

import pytest

from workflow.aws.images import retrieve
from workflow.aws.settings import SettingsError


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-2"])
def test_images_follow_the_region_and_the_instance_type(region: str) -> None:
    images = retrieve(region, "ml.g4dn.xlarge", "ml.m5.large")
    assert f".dkr.ecr.{region}.amazonaws.com/pytorch-training:" in images.training
    assert images.training.endswith("-gpu-py312")
    assert f".dkr.ecr.{region}.amazonaws.com/pytorch-inference:" in images.inference
    assert images.inference.endswith("-cpu-py312")
    assert f".dkr.ecr.{region}.amazonaws.com/sagemaker-debugger-rules:" in images.rule_evaluator


def test_cpu_training_gets_the_cpu_image() -> None:
    assert retrieve("us-east-1", "ml.m5.xlarge", "ml.m5.large").training.endswith("-cpu-py312")


def test_an_unknown_region_is_a_clear_error() -> None:
    with pytest.raises(SettingsError, match="no SageMaker image for region 'mars-north-1'"):
        retrieve("mars-north-1", "ml.m5.xlarge", "ml.m5.large")
