"""``authorize(caller, action, resources, context)``: AWS's decision, and AWS's error when it denies.

A role session's request is allowed when its role's identity-based policies allow the action
on every resource it names and, when the session has a session policy, that policy allows it
too ("the resulting session's permissions are the intersection of the role's identity-based
policy and the session policies", "Policy evaluation logic"); an explicit ``Deny`` in either
denies. The account's administrator is never denied. With ``--iam off`` nothing is.

The message is IAM's ("Troubleshooting access denied error messages",
https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html): ``User: ARN
is not authorized to perform: ACTION on resource: RESOURCE because no identity-based policy
allows the ACTION action``, or ``... with an explicit deny in an identity-based policy``.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol, Union

from botocore.exceptions import UnknownServiceError

from workflow.local.access.caller import AssumedRole, Caller
from workflow.local.access.policy import AccessRequest, Decision, PolicyKind, PolicySet, parse_policy
from workflow.local.errors import ClientError
from workflow.local.protocol.models import service_model

#: A request's condition keys, or a function that gives them when a policy needs them.
Context = Union[Mapping[str, Any], Callable[[], Mapping[str, Any]]]


class IamMode(str, enum.Enum):
    ENFORCE = "enforce"
    OFF = "off"


class RolePolicies(Protocol):
    def identity_policies(self, role_name: str) -> PolicySet:
        """The role's identity-based policies, parsed; empty when the role is gone."""
        ...


class AccessDenied(ClientError):
    status = 403


def _denial_code(service: str) -> tuple[str, int]:
    """``AccessDenied`` where the service's API came from the query or XML world (IAM, STS,
    S3, EC2, CloudWatch), else ``AccessDeniedException`` (JSON services answer it with 400,
    the REST-JSON ones with 403)."""
    try:
        model = service_model(service)
    except UnknownServiceError:  # an action prefix that is no botocore service name (states)
        return "AccessDeniedException", 400
    if model.protocol in ("query", "rest-xml", "ec2") or "awsQueryCompatible" in model.metadata:
        return "AccessDenied", 403
    return "AccessDeniedException", 403 if model.protocol == "rest-json" else 400


def access_denied(caller: Caller, action: str, resource: str, decision: Decision, *,
                  policy_type: str = "identity-based", service: str | None = None) -> AccessDenied:
    code, status = _denial_code(service or action.split(":")[0])
    reason = (f"with an explicit deny in a{'n' if policy_type[0] in 'aeiou' else ''} {policy_type} policy"
              if decision is Decision.EXPLICIT_DENY
              else f"because no {policy_type} policy allows the {action} action")
    return AccessDenied(f"User: {caller.arn} is not authorized to perform: {action} on resource: "
                        f"{resource} {reason}", code=code, status=status)


def request_context(caller: Caller, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The global condition keys every request carries ("AWS global condition context keys")."""
    now = time.time()
    context: dict[str, Any] = {
        "aws:PrincipalArn": caller.principal_arn, "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": "AssumedRole" if isinstance(caller, AssumedRole) else "Account",
        "aws:userid": caller.user_id,
        "aws:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)), "aws:EpochTime": str(int(now)),
        # The server answers on loopback only; the same clients reach AWS over TLS, which is
        # what a policy's aws:SecureTransport condition is written for.
        "aws:SecureTransport": "true",
    }
    for key, value in caller.tags:
        context[f"aws:PrincipalTag/{key}"] = value
    if extra:
        context.update(extra)
    return context


class Authorizer:
    def __init__(self, roles: RolePolicies, mode: IamMode = IamMode.ENFORCE) -> None:
        self.roles = roles
        self.mode = mode
        self._session_policies: dict[str, PolicySet] = {}

    @property
    def enforcing(self) -> bool:
        return self.mode is IamMode.ENFORCE

    def allows(self, caller: Caller, action: str, resources: Iterable[str],
               context: Context | None = None) -> bool:
        """Whether ``authorize`` would let the call through (for answers that depend on a
        permission, such as S3's 403 or 404 for a missing key)."""
        try:
            self.authorize(caller, action, resources, context)
        except AccessDenied:
            return False
        return True

    def authorize(self, caller: Caller, action: str, resources: Iterable[str],
                  context: Context | None = None, *, service: str | None = None) -> None:
        """Return when ``caller`` may perform ``action`` on each of ``resources``; raise AWS's
        AccessDenied (in the shape of ``service``, default the action's prefix) otherwise.
        ``context`` may be a function giving the condition keys, called only when a policy
        reads them."""
        if not self.enforcing or not isinstance(caller, AssumedRole):
            return
        resources = list(resources) or ["*"]
        identity = self.roles.identity_policies(caller.role_name)
        session = self._session_policy(caller)
        reads_context = identity.reads_context or (session is not None and session.reads_context)
        if not reads_context:
            full_context: Mapping[str, Any] = {}
        else:
            full_context = request_context(caller, context() if callable(context) else context)
        for resource in resources:
            request = AccessRequest(action, resource, full_context)
            decision = identity.decide(request)
            if decision is not Decision.ALLOW:
                raise access_denied(caller, action, resource, decision, service=service)
            if session is not None:
                decision = session.decide(request)
                if decision is not Decision.ALLOW:
                    raise access_denied(caller, action, resource, decision, policy_type="session",
                                        service=service)

    def _session_policy(self, caller: AssumedRole) -> PolicySet | None:
        if caller.session_policy is None:
            return None
        policy = self._session_policies.get(caller.session_policy)
        if policy is None:
            # Checked when the session was issued.
            policy = PolicySet((parse_policy(caller.session_policy, PolicyKind.IDENTITY),))
            if len(self._session_policies) >= 1024:
                self._session_policies.clear()
            self._session_policies[caller.session_policy] = policy
        return policy
