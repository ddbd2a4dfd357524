"""IAM's errors, by their wire codes (the query protocol answers the code, not the shape name)."""
from __future__ import annotations

from workflow.local.errors import ClientError


class NoSuchEntity(ClientError):
    pass


class EntityAlreadyExists(ClientError):
    pass


class MalformedPolicyDocument(ClientError):
    pass


class DeleteConflict(ClientError):
    pass


class LimitExceeded(ClientError):
    pass


class InvalidInput(ClientError):
    pass
