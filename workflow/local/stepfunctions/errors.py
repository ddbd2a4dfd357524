"""Step Functions' modelled errors (botocore's stepfunctions service-2.json)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class StateMachineDoesNotExist(ClientError):
    pass


class StateMachineAlreadyExists(ClientError):
    pass


class ExecutionDoesNotExist(ClientError):
    pass


class ExecutionAlreadyExists(ClientError):
    pass


class InvalidArn(ClientError):
    pass


class InvalidName(ClientError):
    pass


class InvalidDefinition(ClientError):
    pass


class InvalidExecutionInput(ClientError):
    pass


class InvalidToken(ClientError):
    pass


class MissingRequiredParameter(ClientError):
    pass


class ExecutionNotRedrivable(ClientError):
    pass


class ExecutionLimitExceeded(ClientError):
    pass
