"""One request against a set of policies, as IAM decides it.

"Policy evaluation logic" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)
and "The difference between explicit and implicit denies"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html):
a request is denied by default; an applicable ``Allow`` allows it; an applicable ``Deny`` in
any policy overrides every ``Allow``. A statement applies when its action, its resource (or,
in a trust policy, its principal) and every one of its conditions match the request.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.local.access.policy.conditions import condition_holds, context_lookup
from workflow.local.access.policy.document import Effect, Policy, Principals, Statement
from workflow.local.access.policy.matching import action_matches, arn_matches, substitute

VARIABLES_SINCE = "2012-10-17"


class Decision(enum.Enum):
    ALLOW = "Allow"
    IMPLICIT_DENY = "ImplicitDeny"
    EXPLICIT_DENY = "ExplicitDeny"


@dataclass(frozen=True)
class PrincipalName:
    """Who asks, as a trust policy's ``Principal`` names it."""
    #: ``AWS`` (an account, user or role ARN), ``Service`` (``lambda.amazonaws.com``) ...
    kind: str
    #: The names that stand for this principal: a role session is named by its role's ARN,
    #: its session ARN and its account ("123456789012" or its root ARN).
    names: tuple[str, ...]


@dataclass(frozen=True)
class AccessRequest:
    action: str
    #: The resource's ARN ("*" for actions that name none); None for a trust policy.
    resource: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    principal: PrincipalName | None = None


def evaluate(policies: Iterable[Policy], request: AccessRequest) -> Decision:
    lookup = context_lookup(request.context)
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if not _applies(statement, policy.version, request, lookup):
                continue
            if statement.effect is Effect.DENY:
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


class PolicySet:
    """A principal's policies, with its decisions remembered when no statement reads the
    request's context (no condition, no policy variable): then a decision depends on the
    action and the resource alone. A changed policy makes a new set."""

    def __init__(self, policies: tuple[Policy, ...]) -> None:
        self.policies = policies
        self.reads_context = any(
            statement.conditions or (policy.version == VARIABLES_SINCE and any(
                "${" in r for r in statement.resources or ()))
            for policy in policies for statement in policy.statements)
        self._decisions: dict[tuple[str, str | None], Decision] = {}

    def decide(self, request: AccessRequest) -> Decision:
        if self.reads_context:
            return evaluate(self.policies, request)
        key = (request.action, request.resource)
        decision = self._decisions.get(key)
        if decision is None:
            if len(self._decisions) >= 4096:
                self._decisions.clear()
            decision = self._decisions[key] = evaluate(self.policies, request)
        return decision


def _applies(statement: Statement, version: str, request: AccessRequest, lookup: Any) -> bool:
    named = any(action_matches(p, request.action) for p in statement.actions)
    if named == statement.not_action:
        return False
    if statement.resources is not None:
        resource = request.resource or "*"
        patterns = statement.resources
        if version == VARIABLES_SINCE:
            patterns = tuple(p for p in (substitute(r, lookup) for r in patterns) if p is not None)
        named = any(arn_matches(p, resource) for p in patterns)
        if named == statement.not_resource:
            return False
    if statement.principals is not None:
        named = _principal_named(statement.principals, request.principal)
        if named == statement.not_principal:
            return False
    return all(condition_holds(c.operator, c.key, c.values, lookup) for c in statement.conditions)


def _principal_named(principals: Principals, who: PrincipalName | None) -> bool:
    if principals.everyone:
        return True
    if who is None:
        return False
    for kind, names in principals.by_kind:
        if kind != who.kind:
            continue
        if "*" in names or any(n in who.names for n in names):
            return True
    return False
