"""Services that moved from the query protocol (``awsQueryCompatible``, e.g. CloudWatch)
keep the query API's common error codes: a missing member is ``MissingParameter``, a
malformed one ``InvalidParameterValue``, where JSON services say ``ValidationException``.
"""
from __future__ import annotations

from typing import Any

from botocore.model import ServiceModel, Shape

from workflow.local.errors import ClientError
from workflow.local.protocol.validation import validation_errors


def applies(service: ServiceModel) -> bool:
    return "awsQueryCompatible" in service.metadata


def validate(params: dict[str, Any], shape: Shape | None) -> None:
    """Raise the query API's error for the first problem, naming the member."""
    problems = validation_errors(params, shape)
    if not problems:
        return
    missing = [p for p in problems if p.startswith("Missing required parameter")]
    code = "MissingParameter" if missing else "InvalidParameterValue"
    raise ClientError("; ".join(missing or problems), code=code)
