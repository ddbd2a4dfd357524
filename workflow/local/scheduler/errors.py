"""EventBridge Scheduler's modelled errors (botocore's scheduler service-2.json)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class ResourceNotFoundException(ClientError):
    pass


class ConflictException(ClientError):
    pass
