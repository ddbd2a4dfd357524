"""boto3 clients of the console's server-side routes, pointed at the server itself."""
from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config


def client(service: str, endpoint_url: str) -> Any:
    return boto3.session.Session(
        aws_access_key_id="console", aws_secret_access_key="console", region_name="us-east-1",
    ).client(service, endpoint_url=endpoint_url,
             config=Config(retries={"mode": "standard", "max_attempts": 2}, read_timeout=30))
