"""The typed interface other local services use to reach Application Auto Scaling.

SageMaker asks which variants of an endpoint are scalable targets (UpdateEndpoint refuses to
drop them) and deregisters a deleted endpoint's targets, as DeleteEndpoint does on AWS. Each
call names its caller; nothing outside this package reads Application Auto Scaling's store.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from workflow.local.access.caller import Caller

if TYPE_CHECKING:
    # Only for types: the backend reaches other services through their facades, which
    # reach this one.
    from workflow.local.autoscaling.backend import AutoScalingBackend
    from workflow.local.context import ServerContext


class ApplicationAutoScaling:
    def __init__(self, backend: AutoScalingBackend) -> None:
        self._backend = backend

    def registered_variants(self, caller: Caller, endpoint: str) -> frozenset[str]:
        """The variants of ``endpoint`` registered as scalable targets."""
        return self._backend.registered_variants(endpoint)

    def deregister_endpoint(self, caller: Caller, endpoint: str) -> None:
        """Drop the targets and policies of a deleted endpoint: DeleteEndpoint deregisters
        them on AWS ("Delete endpoints configured for auto scaling", SageMaker Developer Guide)."""
        self._backend.deregister_endpoint(endpoint)


def application_autoscaling(ctx: ServerContext) -> ApplicationAutoScaling | None:
    """The Application Auto Scaling service of this server; None when it runs without it."""
    backend = ctx.backends.get("application-autoscaling")
    return ApplicationAutoScaling(cast("AutoScalingBackend", backend)) if backend is not None else None
