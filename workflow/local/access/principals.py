"""The sessions AWS services open on their roles: as whom the server's own work is done.

On AWS, Step Functions calls a Task's service with the state machine's role, Lambda gives each
execution environment its function role's credentials, SageMaker reads and writes a job's or a
model's data as the execution role the request passed, and EventBridge Scheduler starts its
target as the schedule's role. Each service assumes the role itself: the role's trust policy
must trust the service principal (``states.amazonaws.com``, ...), and the session's calls are
authorized on the role's policies like any other role session's.

A role the local IAM does not hold (a state machine created with a made-up role ARN, a server
without IAM) is no session at all: that work is done as the account, as before roles existed
locally. With ``--iam off`` nothing is assumed either.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from workflow.local.access.caller import ADMIN, Caller, ServicePrincipal

if TYPE_CHECKING:
    from workflow.local.context import ServerContext
    from workflow.local.sts.facade import Session


#: A session is renewed when less than this is left of it (Lambda, Step Functions and
#: SageMaker refresh their credentials well before they expire).
RENEW_BEFORE = timedelta(minutes=10)


class ServiceSessions:
    """One session per (service principal, role, session name), renewed before it expires."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._sessions: dict[tuple[str, str, str], Session] = {}
        self._lock = threading.Lock()

    def session(self, service: str, role_arn: str | None, session_name: str) -> Session | None:
        """A session of ``role_arn`` opened by ``service``; None where the work is the
        account's (no such role here, no IAM, ``--iam off``). AccessDenied when the role's
        trust policy does not trust ``service``."""
        authorizer = self.ctx.authorizer
        if not role_arn or authorizer is None or not authorizer.enforcing:
            return None
        # IAM and STS import access (their facades authorize): imported when first used.
        from workflow.local.iam.facade import served_roles
        from workflow.local.sts.facade import sts

        tokens, directory = sts(self.ctx), served_roles(self.ctx)
        if tokens is None or directory is None:
            return None

        key = (service, role_arn, session_name)
        now = datetime.now(timezone.utc)
        with self._lock:
            cached = self._sessions.get(key)
        if cached is not None and cached.expiration - now > RENEW_BEFORE / self.ctx.time_scale:
            return cached
        if directory.role_by_arn(role_arn) is None:
            return None
        opened = tokens.assume_role(ServicePrincipal(service, role_arn), session_name,
                                    source_account=self.ctx.account_id)
        with self._lock:
            self._sessions[key] = opened
        return opened

    def caller(self, service: str, role_arn: str | None, session_name: str) -> Caller:
        """The caller ``service``'s work on ``role_arn`` is authorized as."""
        opened = self.session(service, role_arn, session_name)
        return opened.caller if opened is not None else ADMIN

    def acting(self, caller: Caller, session_name: str) -> Caller:
        """The caller a call is authorized as: for a service acting for a role, the session it
        holds of that role (the account where it acts for none, or the role is not held here);
        any other caller as it is."""
        if isinstance(caller, ServicePrincipal):
            return self.caller(caller.service, caller.role_arn, session_name)
        return caller


def session_name(text: str) -> str:
    """A RoleSessionName from any text: ``[\\w+=,.@-]{2,64}``."""
    cleaned = "".join(c if c.isalnum() or c in "+=,.@-_" else "-" for c in text)[:64]
    return cleaned if len(cleaned) >= 2 else f"{cleaned}--"[:2]
