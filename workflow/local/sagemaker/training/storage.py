"""A training job's reads and writes of S3, made as the job's execution role.

SageMaker downloads a job's channels, source code and checkpoints and uploads its
model, output, checkpoints and Debugger folders with the role the job names; so do we,
through S3's typed interface. S3's errors become the job's ClientError reasons.
"""
from __future__ import annotations

from pathlib import Path

from workflow.local.errors import ServiceError, ValidationException
from workflow.local.access.principals import SAGEMAKER
from workflow.local.identity import Principal
from workflow.local.s3.access import S3Access, UnsafeKey


class JobStorage:
    def __init__(self, s3: S3Access, role_arn: str) -> None:
        self._s3 = s3
        self._principal = Principal(role_arn, assumed_by=SAGEMAKER)
        self._role = role_arn

    def _failed(self, uri: str, err: Exception) -> ValidationException:
        detail = err.message if isinstance(err, ServiceError) else str(err)
        return ValidationException(
            f"Data download failed: {detail} ({uri}). Please ensure that the bucket exists, that "
            f"objects exist under that S3 prefix, and that the role \"{self._role}\" can read them.")

    def stage_channel(self, uri: str, dest: Path) -> int:
        """A channel's objects below ``dest``, without copying bytes where the disk allows."""
        try:
            return self._s3.materialise(self._principal, uri, dest)
        except (ServiceError, UnsafeKey) as err:
            raise self._failed(uri, err) from None

    def fetch_file(self, uri: str, dest: Path) -> None:
        try:
            self._s3.download(self._principal, uri, dest)
        except ServiceError as err:
            raise self._failed(uri, err) from None

    def fetch_tree(self, uri: str, dest: Path) -> int:
        try:
            return self._s3.download_tree(self._principal, uri, dest)
        except (ServiceError, UnsafeKey) as err:
            raise self._failed(uri, err) from None

    def put_file(self, src: Path, uri: str) -> None:
        self._s3.upload_file(self._principal, src, uri)

    def put_tree(self, src: Path, uri: str) -> int:
        return self._s3.upload_tree(self._principal, src, uri)
