"""CloudWatch's modelled errors, by the codes botocore's error factory keys them on
(CloudWatch kept the query API's codes: ``InvalidParameterValue``, not the shape name)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class InvalidParameterValue(ClientError):
    pass


class MissingParameter(ClientError):
    pass


class InvalidParameterCombination(ClientError):
    pass


class InvalidNextToken(ClientError):
    pass
