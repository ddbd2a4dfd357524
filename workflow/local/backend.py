"""The contract between the protocol layer and a service backend.

A backend is a plain object: ``handle("CreateTrainingJob", params)`` receives
the request already parsed and validated against botocore's input shape and
returns a dict keyed like the operation's output shape (datetimes as
``datetime``, blobs as ``bytes``). It raises ``workflow.local.errors`` types
for AWS errors. It never sees HTTP.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

from workflow.local.errors import UnknownOperationException

if TYPE_CHECKING:
    from workflow.local.context import ServerContext


def snake_case(operation: str) -> str:
    """``CreateTrainingJob`` -> ``create_training_job`` (how boto3 names methods)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", operation).lower()


class Backend:
    """Base class: one subclass per AWS service, one method per operation."""

    #: botocore's service name, e.g. "stepfunctions", "sagemaker-runtime".
    service: ClassVar[str]
    #: Orchestrators stop before the HTTP server and the services they call, so
    #: nothing they record afterwards is an artefact of the shutdown itself.
    shutdown_first: ClassVar[bool] = False
    #: The service authorizes a role session's calls itself (IAM and STS, which know a role's
    #: real ARN); others are authorized by the protocol layer before ``handle``.
    authorizes_itself: ClassVar[bool] = False

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    def start(self) -> None:
        """Called once the server listens: restore what the store holds."""

    def shutdown(self) -> None:
        """Called before the server exits: stop processes and threads."""

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        method = getattr(self, snake_case(operation), None)
        if method is None:
            raise UnknownOperationException(
                f"Operation {operation} is not supported by the local {self.service} service"
            )
        return method(params)
