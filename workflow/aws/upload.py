"""Put the artefacts and the template into the artifact bucket, skipping what is already there."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from workflow.aws.packaging import Artifact
from workflow.aws.settings import SettingsError


class BucketError(SettingsError):
    pass


def exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def check_bucket(s3: Any, bucket: str, region: str) -> None:
    """The artifact bucket must exist and sit in the stack's region (Lambda reads code from there)."""
    try:
        location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in ("NoSuchBucket", "404"):
            raise BucketError(f"NoSuchBucket: --bucket {bucket} does not exist; create it in {region} first") from exc
        if code in ("AccessDenied", "403"):
            raise BucketError(f"AccessDenied: --bucket {bucket}: you may not read its location") from exc
        raise
    if location == "EU":  # the legacy name of eu-west-1
        location = "eu-west-1"
    if location != region:
        raise BucketError(f"ValidationException: --bucket {bucket} is in {location}, the stack goes to {region}: "
                          "Lambda reads its code from a bucket in the same region")


def upload_artifact(s3: Any, bucket: str, key: str, artifact: Artifact, kms_key_arn: str = "") -> bool:
    """Upload unless the content-addressed key exists; True when it uploaded."""
    if exists(s3, bucket, key):
        return False
    s3.upload_file(str(artifact.path), bucket, key, ExtraArgs=_encryption(kms_key_arn))
    return True


def upload_text(s3: Any, bucket: str, key: str, text: str, kms_key_arn: str = "") -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode(), ContentType="application/json",
                  **_encryption(kms_key_arn))


def https_url(bucket: str, key: str, region: str) -> str:
    return f"https://{bucket}.s3.{region}.amazonaws.com/{key}"


def _encryption(kms_key_arn: str) -> dict[str, str]:
    if kms_key_arn:
        return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_arn}
    return {"ServerSideEncryption": "AES256"}
