"""CloudWatch's modelled errors, by the codes botocore's error factory keys them on
(CloudWatch kept the query API's codes: ``InvalidParameterValue``, not the shape name)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class InvalidParameterValue(ClientError):
    code = "InvalidParameterValue"


class MissingParameter(ClientError):
    code = "MissingParameter"


class InvalidParameterCombination(ClientError):
    code = "InvalidParameterCombination"


class InvalidNextToken(ClientError):
    code = "InvalidNextToken"
