"""StageData against S3 (moto): the handler stages once and skips the same checksum."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.unit.test_stage_data_zip import make_zip


@dataclass
class LambdaContext:
    function_name: str = "stage-data"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:stage-data"
    aws_request_id: str = "req-1"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "DogBreedPipeline")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "stage_data")
    with mock_aws():
        import shared.storage as storage

        storage._s3 = None  # a client made outside the mock would talk to the real S3
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="pipeline")
        yield client
        storage._s3 = None


def test_handler_stages_to_s3_and_skips_a_second_time(s3, tmp_path: Path) -> None:
    from stage_data.app import handler

    zip_path = make_zip(tmp_path / "dogs.zip")
    s3.upload_file(str(zip_path), "pipeline", "incoming/dogs.zip")
    event = {"dataset_uri": "s3://pipeline/incoming/dogs.zip", "data_prefix": "s3://pipeline/data",
             "execution_id": "exec-1"}

    first = handler(event, LambdaContext())
    assert first["skipped"] is False
    assert first["train_uri"].startswith("s3://pipeline/data/datasets/")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="pipeline", Prefix="data/")["Contents"]]
    assert sum(k.endswith(".jpg") for k in keys) == 18
    manifest_key = first["manifest_uri"].removeprefix("s3://pipeline/")
    manifest = json.loads(s3.get_object(Bucket="pipeline", Key=manifest_key)["Body"].read())
    assert manifest["num_classes"] == 3

    second = handler(event, LambdaContext())
    assert second["skipped"] is True
    assert second["checksum"] == first["checksum"]


def test_handler_rejects_an_event_without_the_data_prefix(s3) -> None:
    from aws_lambda_powertools.utilities.parser import ValidationError

    from stage_data.app import handler

    with pytest.raises(ValidationError, match="data_prefix"):
        handler({"dataset_uri": "s3://pipeline/x.zip"}, LambdaContext())
