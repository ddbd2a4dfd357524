"""Turning botocore exceptions into the error names Step Functions reports.

"If an AWS SDK integration encounters an error, the resulting Error field is composed
of the service name and the error name, separated by a period character ...
always add the Exception suffix" (developer guide, "AWS SDK service integrations").
"""
from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import FailureError, StatesError


def exception_name(code: str) -> str:
    return code if code.endswith("Exception") else code + "Exception"


def describe_client_error(exc: ClientError, service_label: str) -> str:
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    return (
        f"{error.get('Message', '')} (Service: {service_label}, Status Code: "
        f"{meta.get('HTTPStatusCode', 400)}, Request ID: {meta.get('RequestId', '')})"
    )


def sdk_failure(exc: Exception, prefix: str, service_label: str, modeled: frozenset[str] | None = None) -> FailureError:
    """The Step Functions error for an SDK exception.

    ``modeled`` holds the error codes the service model declares. Step Functions calls
    services through the AWS SDK for Java, where an undeclared code (SageMaker's
    ValidationException, for one) surfaces as the service's base exception class, so its
    name becomes ``<ServiceName>.<ServiceName>Exception``.
    """
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "Unknown")
        name = exception_name(code) if modeled is None or code in modeled else f"{prefix}Exception"
        return FailureError(f"{prefix}.{name}", describe_client_error(exc, service_label))
    if isinstance(exc, BotoCoreError):
        # Connection and parameter errors never reached the service.
        return FailureError(StatesError.TASK_FAILED.value, f"{type(exc).__name__}: {exc}")
    return FailureError(StatesError.TASK_FAILED.value, f"{type(exc).__name__}: {exc}")
