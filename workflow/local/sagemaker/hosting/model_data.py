"""A model's data and code in S3, read as the model's execution role (as SageMaker does)."""
from __future__ import annotations

from pathlib import Path

from workflow.local.errors import ServiceError, ValidationException
from workflow.local.access.principals import SAGEMAKER
from workflow.local.identity import Principal
from workflow.local.s3.access import S3Access


class ModelData:
    def __init__(self, s3: S3Access, role_arn: str | None) -> None:
        self._s3 = s3
        # A model without a role is read as SageMaker itself.
        self._principal = Principal(role_arn, assumed_by=SAGEMAKER) if role_arn else Principal(SAGEMAKER)

    def check(self, url: str) -> None:
        """CreateModel refuses model data it cannot read."""
        if not url.startswith("s3://"):
            raise ValidationException(f"Could not access model data at {url}: ModelDataUrl must be an "
                                      "s3:// URI (s3://bucket/key)")
        try:
            self._s3.head(self._principal, url)
        except (ServiceError, ValueError):
            raise ValidationException(f"Could not find model data at {url}.") from None

    def fetch(self, url: str, dest: Path) -> None:
        """A local copy of an object the model names (its data or its source tarball)."""
        try:
            self._s3.download(self._principal, url, dest)
        except (ServiceError, ValueError) as err:
            raise FileNotFoundError(f"Could not access model data at {url}: {err}") from None
