"""StageData against S3 (moto): the handler stages once and skips the same checksum."""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

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


# -- S3 as the StageData role sees it on AWS -----------------------------------------------
class RoleView:
    """Answers S3 calls as AWS does for the StageData function's role (moto holds the data).

    Objects: an action is allowed on ``arn:aws:s3:::bucket/key`` when one of the role's
    statements grants it there. Listing: s3:ListBucket on the bucket with the statement's
    ``s3:prefix`` condition met by the request's Prefix. A missing key read with HeadObject or
    GetObject is a 403, not a 404, because the role has no ListBucket without a prefix
    condition (HeadObject and GetObject, S3 API Reference: "If you don't have the
    s3:ListBucket permission, Amazon S3 returns an HTTP status code 403").
    """

    ACTIONS = {"HeadObject": "s3:GetObject", "GetObject": "s3:GetObject", "PutObject": "s3:PutObject",
               "ListObjectsV2": "s3:ListBucket"}

    def __init__(self, statements: list[dict], store) -> None:  # a boto3 client
        self.statements = statements
        self.store = store
        self.calls: list[tuple[str, dict]] = []

    def _granted(self, action: str, arn: str, prefix: str | None = None) -> bool:
        for stmt in self.statements:
            if action not in stmt["Action"]:
                continue
            if not any(fnmatch.fnmatchcase(arn, r["Fn::Sub"].replace("${AWS::Partition}", "aws"))
                       for r in stmt["Resource"] if isinstance(r, dict) and "Fn::Sub" in r):
                continue
            wanted = (stmt.get("Condition") or {}).get("StringLike", {}).get("s3:prefix")
            if wanted is None or (prefix is not None and any(fnmatch.fnmatchcase(prefix, p) for p in wanted)):
                return True
        return False

    def register(self, client) -> None:  # a boto3 client
        client.meta.events.register("before-parameter-build.s3", self._remember)
        client.meta.events.register("before-call.s3", self._answer)

    @staticmethod
    def _remember(params: dict, context: dict, **_: object) -> None:
        context["api_params"] = dict(params)

    def _answer(self, model, context: dict, **_: object):  # botocore's hook signature
        operation, params = model.name, context["api_params"]
        self.calls.append((operation, params))
        bucket = params["Bucket"]
        if operation == "ListObjectsV2":
            allowed = self._granted("s3:ListBucket", f"arn:aws:s3:::{bucket}", params.get("Prefix"))
        else:
            allowed = self._granted(self.ACTIONS[operation], f"arn:aws:s3:::{bucket}/{params['Key']}")
            if allowed and operation in ("HeadObject", "GetObject"):
                keys = self.store.list_objects_v2(Bucket=bucket, Prefix=params["Key"]).get("Contents", [])
                allowed = any(k["Key"] == params["Key"] for k in keys) or self._granted(
                    "s3:ListBucket", f"arn:aws:s3:::{bucket}")
        if allowed:
            return None  # moto answers
        return SimpleNamespace(status_code=403, headers={}), {
            "Error": {"Code": "403" if operation == "HeadObject" else "AccessDenied", "Message": "Forbidden"},
            "ResponseMetadata": {"HTTPStatusCode": 403}}


def test_first_run_stages_with_exactly_the_functions_permissions(s3, tmp_path: Path) -> None:
    import shared.storage as storage
    from stage_data.app import handler

    from tests.unit.test_iam_policies import settings
    from workflow.aws import iam
    from workflow.aws.template import build

    role = build(settings())["Resources"]["StageDataRole"]
    s3.create_bucket(Bucket="dogs-data")
    view = RoleView(iam.role_statements(role), s3)
    client = boto3.client("s3", region_name="us-east-1")
    view.register(client)
    storage._s3 = client
    s3.upload_file(str(make_zip(tmp_path / "dogs.zip")), "dogs-data", "dogs-prod/incoming/dogs.zip")
    event = {"dataset_uri": "s3://dogs-data/dogs-prod/incoming/dogs.zip",
             "data_prefix": "s3://dogs-data/dogs-prod/data", "execution_id": "exec-1"}

    first = handler(event, LambdaContext())
    assert first["skipped"] is False
    assert handler(event, LambdaContext())["skipped"] is True
    assert {operation for operation, _ in view.calls} >= {"ListObjectsV2", "PutObject", "GetObject"}
