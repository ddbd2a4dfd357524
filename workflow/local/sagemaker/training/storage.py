"""A training job's reads and writes of S3, made as the job's execution role.

SageMaker downloads a job's channels, source code and checkpoints and uploads its
model, output, checkpoints and Debugger folders with the role the job names; so do we,
through S3's typed interface. S3's errors become the job's ClientError reasons.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from workflow.local.access.caller import SAGEMAKER, ServicePrincipal
from workflow.local.errors import ServiceError, ValidationException
from workflow.local.s3.facade import S3Access, UnsafeKey


class JobStorage:
    def __init__(self, s3: S3Access, role_arn: str) -> None:
        self._s3 = s3
        self._caller = ServicePrincipal(SAGEMAKER, role_arn)
        self._role = role_arn

    @contextmanager
    def _downloading(self, uri: str) -> Iterator[None]:
        """S3's refusal of a download as the ValidationException a job fails with."""
        try:
            yield
        except (ServiceError, UnsafeKey) as err:
            detail = err.message if isinstance(err, ServiceError) else str(err)
            raise ValidationException(
                f"Data download failed: {detail} ({uri}). Please ensure that the bucket exists, that "
                f"objects exist under that S3 prefix, and that the role \"{self._role}\" can read them."
            ) from None

    def stage_channel(self, uri: str, dest: Path) -> int:
        """A channel's objects below ``dest``, without copying bytes where the disk allows."""
        with self._downloading(uri):
            return self._s3.materialise(self._caller, uri, dest)

    def fetch_file(self, uri: str, dest: Path) -> None:
        with self._downloading(uri):
            self._s3.download(self._caller, uri, dest)

    def fetch_tree(self, uri: str, dest: Path) -> int:
        with self._downloading(uri):
            return self._s3.download_tree(self._caller, uri, dest)

    def put_file(self, src: Path, uri: str) -> None:
        self._s3.upload_file(self._caller, src, uri)

    def put_tree(self, src: Path, uri: str) -> int:
        return self._s3.upload_tree(self._caller, src, uri)
