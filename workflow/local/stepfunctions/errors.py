"""Step Functions' modelled errors (botocore's stepfunctions service-2.json)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class StateMachineDoesNotExist(ClientError):
    code = "StateMachineDoesNotExist"


class StateMachineAlreadyExists(ClientError):
    code = "StateMachineAlreadyExists"


class ExecutionDoesNotExist(ClientError):
    code = "ExecutionDoesNotExist"


class ExecutionAlreadyExists(ClientError):
    code = "ExecutionAlreadyExists"


class InvalidArn(ClientError):
    code = "InvalidArn"


class InvalidName(ClientError):
    code = "InvalidName"


class InvalidDefinition(ClientError):
    code = "InvalidDefinition"


class InvalidExecutionInput(ClientError):
    code = "InvalidExecutionInput"


class InvalidToken(ClientError):
    code = "InvalidToken"


class MissingRequiredParameter(ClientError):
    code = "MissingRequiredParameter"


class ExecutionNotRedrivable(ClientError):
    code = "ExecutionNotRedrivable"


class ExecutionLimitExceeded(ClientError):
    code = "ExecutionLimitExceeded"
