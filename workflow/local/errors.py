"""AWS-shaped errors raised by the service backends.

The protocol layer serialises them in each protocol's error format, so boto3
raises the modelled exception class named by ``code``.
"""
from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An AWS error: ``code`` is the modelled exception name, ``status`` its HTTP status.

    A subclass's ``code`` is its class name unless it sets another: botocore names each
    modelled exception class after its error code, and so do the services here. The
    protocol layer answers the HTTP status the service's model gives the code
    (``protocol.errors.error_status``); ``status`` counts only where the model gives none.
    """

    code: str = "InternalFailure"
    status: int = 500
    sender_fault: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = cls.__name__

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
    """The caller's fault: HTTP 400 unless a subclass says otherwise. Raised itself, it is
    given its ``code`` (``ClientError(message, code="ValidationError")``)."""

    code = ServiceError.code
    status = 400
    sender_fault = True


class ValidationException(ClientError):
    pass


class UnknownOperationException(ClientError):
    pass


class ResourceNotFound(ClientError):
    """SageMaker's name; other services pass their own ``code``."""


class ResourceInUse(ClientError):
    pass


class ResourceLimitExceeded(ClientError):
    pass


class ThrottlingException(ClientError):
    pass


class ServiceUnavailable(ServiceError):
    """The server cannot take the request now (it is shutting down, no worker can answer)."""

    status = 503
