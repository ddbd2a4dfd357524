"""The S3 tests' client of the session's local server, and a fresh bucket per test."""
from __future__ import annotations

from typing import Any

import pytest

from tests.integration.s3_helpers import bucket_name, s3_client


@pytest.fixture(scope="module")
def s3(local_server: Any) -> Any:
    return s3_client(local_server.endpoint_url)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = bucket_name()
    s3.create_bucket(Bucket=name)
    return name
