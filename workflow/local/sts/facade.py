"""The typed interface the protocol layer and other local services use to reach STS.

The protocol layer finds the session of a request's access key; a service assumes the role
it acts for (a function's role, a state machine's, a job's execution role) as the service
principal that role trusts, as AWS services do. Nothing outside this package reads STS's
store.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from workflow.local.access.caller import ServicePrincipal
from workflow.local.sts.sessions import Session

if TYPE_CHECKING:
    # Only for types: the backend imports IAM's facade, and the protocol layer imports this.
    from workflow.local.context import ServerContext
    from workflow.local.sts.backend import StsBackend

__all__ = ["SecurityTokenService", "Session", "sts"]

#: A service's session lasts an hour unless it asks otherwise (AssumeRole's default).
DEFAULT_DURATION = 3600


class SecurityTokenService:
    def __init__(self, backend: StsBackend) -> None:
        self._backend = backend

    def session(self, access_key_id: str) -> Session | None:
        """The session of a key this server issued, expired or not; None for any other key."""
        return self._backend.sessions.find(access_key_id)

    def assume_role(self, caller: ServicePrincipal, session_name: str, *, duration: int = DEFAULT_DURATION,
                    source_account: str | None = None, source_arn: str | None = None) -> Session:
        """A session of the role ``caller`` acts for, assumed by ``caller.service``; AccessDenied
        when the role's trust policy does not trust that service."""
        if caller.role_arn is None:
            raise ValueError(f"{caller.service} acts for no role: there is no role to assume")
        return self._backend.assume_role_for_service(caller.service, caller.role_arn, session_name,
                                                     duration=duration, source_account=source_account,
                                                     source_arn=source_arn)


def sts(ctx: ServerContext) -> SecurityTokenService | None:
    """The STS service of this server; None when the server runs without it."""
    backend = ctx.backends.get("sts")
    return SecurityTokenService(cast("StsBackend", backend)) if backend is not None else None
