"""AWS-shaped errors raised by the service backends.

The protocol layer serialises them in each protocol's error format, so boto3
raises the modelled exception class named by ``code``.
"""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An AWS error: ``code`` is the modelled exception name, ``status`` its HTTP status."""

    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        # Extra members of the error shape (e.g. ModelError's OriginalStatusCode).
        self.fields = dict(fields or {})


class ClientError(ServiceError):
    status = 400
    sender_fault = True


class ValidationException(ClientError):
    code = "ValidationException"


class UnknownOperationException(ClientError):
    code = "UnknownOperationException"


class ResourceNotFound(ClientError):
    """SageMaker's name; other services pass their own ``code``."""

    code = "ResourceNotFound"


class ResourceInUse(ClientError):
    code = "ResourceInUse"


class ResourceLimitExceeded(ClientError):
    code = "ResourceLimitExceeded"


class ThrottlingException(ClientError):
    code = "ThrottlingException"


class ServiceUnavailable(ServiceError):
    """The server cannot take the request now (it is shutting down, no worker can answer)."""

    code = "ServiceUnavailable"
    status = 503
