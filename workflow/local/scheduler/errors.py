"""EventBridge Scheduler's modelled errors (botocore's scheduler service-2.json)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class ResourceNotFoundException(ClientError):
    code = "ResourceNotFoundException"
    status = 404


class ConflictException(ClientError):
    code = "ConflictException"
    status = 409
