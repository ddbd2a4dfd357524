"""The local run's bucket: a dataset zip goes up in parts with a progress line, once."""
from __future__ import annotations

import io
import os
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from tests.integration.s3_helpers import s3_client
from workflow.pipeline.defaults import INCOMING_PREFIX, LOCAL_BUCKET
from workflow.pipeline.local_bucket import ensure_buckets, upload_zip

MiB = 1 << 20


def test_a_zip_is_uploaded_in_parts_with_progress_and_not_twice(local_server, tmp_path: Path) -> None:
    s3 = s3_client(local_server.endpoint_url)
    ensure_buckets(s3, "s3://other-data-bucket/prefix")
    ensure_buckets(s3)  # again: the buckets exist, nothing fails
    assert {LOCAL_BUCKET, "other-data-bucket"} <= {b["Name"] for b in s3.list_buckets()["Buckets"]}
    zip_path = tmp_path / "dogImages.zip"
    zip_path.write_bytes(os.urandom(12 * MiB))
    uri = f"{INCOMING_PREFIX}/dogImages.zip"
    parts = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB, max_concurrency=2)
    out = io.StringIO()
    upload_zip(s3, zip_path, uri, out, parts)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"uploading dogImages.zip to {uri}: ") and lines[-1].endswith("100% (12/12 MB)")
    key = uri.removeprefix(f"s3://{LOCAL_BUCKET}/")
    head = s3.head_object(Bucket=LOCAL_BUCKET, Key=key)
    assert head["ETag"].endswith('-3"') and head["ContentLength"] == 12 * MiB  # three parts
    again = io.StringIO()
    upload_zip(s3, zip_path, uri, again, parts)
    assert again.getvalue() == f"dogImages.zip is already in {uri}\n"
    assert s3.get_object(Bucket=LOCAL_BUCKET, Key=key)["Body"].read() == zip_path.read_bytes()
