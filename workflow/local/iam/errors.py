"""IAM's errors, by their wire codes (the query protocol answers the code, not the shape name)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class NoSuchEntity(ClientError):
    code = "NoSuchEntity"
    status = 404


class EntityAlreadyExists(ClientError):
    code = "EntityAlreadyExists"
    status = 409


class MalformedPolicyDocument(ClientError):
    code = "MalformedPolicyDocument"


class DeleteConflict(ClientError):
    code = "DeleteConflict"
    status = 409


class LimitExceeded(ClientError):
    code = "LimitExceeded"
    status = 409


class InvalidInput(ClientError):
    code = "InvalidInput"
