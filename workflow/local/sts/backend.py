"""The local STS service: AssumeRole and GetCallerIdentity, and role sessions for services.

AssumeRole as the API reference describes it: the caller must be trusted by the role's trust
policy (and, when the trust names only the account, allowed sts:AssumeRole by its own
policies); a role that does not exist is refused like an untrusted one; DurationSeconds is
900 s up to the role's MaxSessionDuration (default 3600 s), and at most an hour when a role
session assumes a role ("role chaining"); session tags need sts:TagSession in the trust
policy; an inline session policy further limits the session.
"""
from __future__ import annotations

from typing import Any

from workflow.local.access import caller as callers
from workflow.local.access.authorizer import AccessDenied, request_context
from workflow.local.access.caller import AssumedRole, Caller
from workflow.local.access.policy import MalformedPolicy, PolicyKind, parse_policy
from workflow.local.access.reference import tag_context
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.errors import ClientError
from workflow.local.iam.facade import Role, roles
from workflow.local.sts.sessions import Session, Sessions
from workflow.local.sts.trust import Trust, caller_names, trust_of

DEFAULT_DURATION = 3600
#: "Role chaining limits your AWS CLI or AWS API role session to a maximum of one hour."
CHAINED_LIMIT = 3600
_UNSUPPORTED = ("PolicyArns", "SerialNumber", "TokenCode", "SourceIdentity", "ProvidedContexts")


class ValidationError(ClientError):
    pass


class MalformedPolicyDocument(ClientError):
    pass


class StsBackend(Backend):
    service = "sts"
    authorizes_itself = True

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.sessions = Sessions(ctx.store, ctx.account_id, time_scale=ctx.time_scale)

    def start(self) -> None:
        self.sessions.drop_expired()

    # -- the API ----------------------------------------------------------------------
    def get_caller_identity(self, params: dict[str, Any]) -> dict[str, Any]:
        # No permission is needed: "No permissions are required to perform this operation."
        caller = callers.current()
        return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}

    def assume_role(self, params: dict[str, Any]) -> dict[str, Any]:
        for name in _UNSUPPORTED:
            if params.get(name):
                raise ValidationError(f"{name} is not supported by the local STS; managed policies, MFA "
                                      "and source identities are not held here")
        caller = callers.current()
        role_arn = params["RoleArn"]
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
        asked: dict[str, Any] = {"sts:RoleSessionName": params["RoleSessionName"], **tag_context(tags)}
        if params.get("ExternalId"):
            asked["sts:ExternalId"] = params["ExternalId"]
        context = request_context(caller, asked)
        role = self._trusted_role(caller, role_arn, context, tagged=bool(tags))
        duration = params.get("DurationSeconds") or DEFAULT_DURATION
        if isinstance(caller, AssumedRole) and duration > CHAINED_LIMIT:
            raise ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles "
                                  "assumed by role chaining.")
        if duration > role.max_session_duration:
            raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
        policy = params.get("Policy")
        if policy is not None:
            try:
                parse_policy(policy, PolicyKind.IDENTITY)
            except MalformedPolicy as exc:
                raise MalformedPolicyDocument(str(exc)) from None
        session = self.sessions.issue(role, params["RoleSessionName"], duration, assumed_by=caller.arn,
                                      session_policy=policy, tags=tags)
        answer = _credentials(session)
        if policy is not None or tags:
            # AWS packs session policies and tags with a compression of its own; here the share
            # is their plain size against the 2,048 characters an inline session policy may have.
            answer["PackedPolicySize"] = min(100, (len(policy or "") + 64 * len(tags)) * 100 // 2048)
        return answer

    def _trusted_role(self, caller: Caller, role_arn: str, context: dict[str, Any], *, tagged: bool) -> Role:
        refused = AccessDenied(f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: "
                               f"{role_arn}", code="AccessDenied")
        role = roles(self.ctx).role_by_arn(role_arn)
        if role is None:
            raise refused
        trust = trust_of(role, "AWS", caller_names(caller), caller.account_id, context)
        if trust is Trust.DENIED:
            raise refused
        if tagged and trust_of(role, "AWS", caller_names(caller), caller.account_id, context,
                               "sts:TagSession") is Trust.DENIED:
            raise AccessDenied(f"User: {caller.arn} is not authorized to perform: sts:TagSession on resource: "
                               f"{role_arn}", code="AccessDenied")
        if trust is Trust.ACCOUNT:
            self.ctx.authorize(caller, "sts:AssumeRole", [role_arn], context, service="sts")
        return role

    # -- what services use ----------------------------------------------------------------
    def assume_role_for_service(self, service: str, role_arn: str, session_name: str, *,
                                duration: int = DEFAULT_DURATION, source_account: str | None = None,
                                source_arn: str | None = None) -> Session:
        """A session of ``role_arn`` for an AWS service principal (``lambda.amazonaws.com``),
        as the service itself assumes its role on AWS; AccessDenied when the role's trust
        policy does not trust the service."""
        context: dict[str, Any] = {"sts:RoleSessionName": session_name, "aws:SecureTransport": "true"}
        if source_account:
            context["aws:SourceAccount"] = source_account
        if source_arn:
            context["aws:SourceArn"] = source_arn
        role = roles(self.ctx).role_by_arn(role_arn)
        if role is None or trust_of(role, "Service", (service,), None, context) is Trust.DENIED:
            raise AccessDenied(f"{service} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                               code="AccessDenied")
        return self.sessions.issue(role, session_name, min(duration, role.max_session_duration), assumed_by=service)


def _credentials(session: Session) -> dict[str, Any]:
    return {
        "Credentials": {"AccessKeyId": session.access_key_id, "SecretAccessKey": session.secret_access_key,
                        "SessionToken": session.session_token, "Expiration": session.expiration},
        "AssumedRoleUser": {"AssumedRoleId": f"{session.role_id}:{session.session_name}",
                            "Arn": session.caller.arn},
    }
