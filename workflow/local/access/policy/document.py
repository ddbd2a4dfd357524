"""IAM policy documents as typed records, refused with IAM's MalformedPolicyDocument messages.

The grammar is AWS's "IAM JSON policy element reference"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html): a
``Version``, an ``Id`` and ``Statement`` (one object or a list); each statement an
``Effect``, exactly one of ``Action``/``NotAction``, and for identity-based policies exactly
one of ``Resource``/``NotResource`` and no principal, for a role's trust policy a
``Principal`` (or ``NotPrincipal``), no resource and only ``sts:AssumeRole*`` actions.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from workflow.local.access.policy.conditions import known_operator

VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_FIELDS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
                     "NotPrincipal", "Condition"}
#: Actions a trust policy may name ("AssumeRole policy may only specify STS AssumeRole actions").
TRUST_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                 "sts:tagsession", "sts:setsourceidentity", "sts:setcontext")


class MalformedPolicy(ValueError):
    """A policy IAM refuses; the message is IAM's."""


class PolicyKind(enum.Enum):
    #: A role's permissions policy, or a session policy: actions on resources, no principal.
    IDENTITY = "identity"
    #: A role's AssumeRolePolicyDocument: who may assume it, no resource.
    TRUST = "trust"


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True)
class Condition:
    #: As written, e.g. ``ForAllValues:StringLikeIfExists``.
    operator: str
    key: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Principals:
    """A statement's principals by kind (``AWS``, ``Service``, ``Federated``); ``everyone`` for ``"*"``."""

    by_kind: tuple[tuple[str, tuple[str, ...]], ...] = ()
    everyone: bool = False


@dataclass(frozen=True)
class Statement:
    effect: Effect
    #: Action patterns; with ``not_action`` the statement applies to every other action.
    actions: tuple[str, ...]
    not_action: bool = False
    #: Resource ARN patterns; None in a trust policy, which names no resource.
    resources: tuple[str, ...] | None = None
    not_resource: bool = False
    principals: Principals | None = None
    not_principal: bool = False
    conditions: tuple[Condition, ...] = ()
    sid: str | None = None


@dataclass(frozen=True)
class Policy:
    version: str
    statements: tuple[Statement, ...]


def parse_policy(text: str, kind: PolicyKind) -> Policy:
    """The policy ``text`` holds; ``MalformedPolicy`` with IAM's message when IAM refuses it."""
    try:
        document = json.loads(text)
    except (TypeError, ValueError):
        raise MalformedPolicy("This policy contains invalid Json") from None
    if not isinstance(document, dict) or not set(document) <= {"Version", "Id", "Statement"}:
        raise MalformedPolicy("Syntax errors in policy.")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise MalformedPolicy("The policy failed legacy parsing")
    raw = document.get("Statement")
    items = raw if isinstance(raw, list) else [raw] if isinstance(raw, dict) else None
    if not items:
        raise MalformedPolicy("Syntax errors in policy.")
    return Policy(version, tuple(_statement(item, kind) for item in items))


def _strings(value: Any, field: str) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise MalformedPolicy(f"Syntax errors in policy. ({field} must be a string or a list of strings)")
    return tuple(values)


def _statement(item: Any, kind: PolicyKind) -> Statement:
    if not isinstance(item, dict) or not set(item) <= _STATEMENT_FIELDS:
        raise MalformedPolicy("Syntax errors in policy.")
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicy(f"Invalid effect: {effect}" if effect is not None
                              else "Missing required field Effect")
    if ("Action" in item) == ("NotAction" in item):
        raise MalformedPolicy("Policy statement must contain actions.")
    not_action = "NotAction" in item
    actions = _strings(item["NotAction" if not_action else "Action"], "Action")
    for action in actions:
        if action != "*" and ":" not in action:
            raise MalformedPolicy("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    resources, not_resource = _resources(item, kind)
    principals, not_principal = _principals(item, kind)
    if kind is PolicyKind.TRUST and (not_action or any(a.lower() not in TRUST_ACTIONS for a in actions)):
        raise MalformedPolicy("AssumeRole policy may only specify STS AssumeRole actions.")
    sid = item.get("Sid")
    if sid is not None and (not isinstance(sid, str) or (sid and not sid.isalnum())):
        raise MalformedPolicy("Statement IDs (SID) must be alpha-numeric. Check that your input "
                              "satisfies the regular expression [0-9A-Za-z]*")
    return Statement(Effect(effect), actions, not_action, resources, not_resource, principals,
                     not_principal, _conditions(item.get("Condition")), sid)


def _resources(item: dict[str, Any], kind: PolicyKind) -> tuple[tuple[str, ...] | None, bool]:
    present = [f for f in ("Resource", "NotResource") if f in item]
    if kind is PolicyKind.TRUST:
        if present:
            raise MalformedPolicy(f"Has prohibited field {present[0]}")
        return None, False
    if len(present) != 1:
        raise MalformedPolicy("Policy statement must contain resources.")
    resources = _strings(item[present[0]], present[0])
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise MalformedPolicy(f'Resource {resource} must be in ARN format or "*".')
    return resources, present[0] == "NotResource"


def _principals(item: dict[str, Any], kind: PolicyKind) -> tuple[Principals | None, bool]:
    present = [f for f in ("Principal", "NotPrincipal") if f in item]
    if kind is PolicyKind.IDENTITY:
        if present:
            raise MalformedPolicy("Policy document should not specify a principal.")
        return None, False
    if len(present) != 1:
        raise MalformedPolicy("Missing required field Principal")
    raw = item[present[0]]
    if raw == "*":
        return Principals(everyone=True), present[0] == "NotPrincipal"
    if not isinstance(raw, dict) or not raw:
        raise MalformedPolicy(f"Invalid principal in policy: {json.dumps(raw)}")
    by_kind = []
    for principal_kind, value in raw.items():
        if principal_kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise MalformedPolicy(f'Invalid principal in policy: "{principal_kind}"')
        by_kind.append((principal_kind, _strings(value, f"Principal {principal_kind}")))
    return Principals(tuple(by_kind)), present[0] == "NotPrincipal"


def _conditions(raw: Any) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise MalformedPolicy("Syntax errors in policy.")
    out = []
    for operator, block in raw.items():
        if not known_operator(operator):
            raise MalformedPolicy(f"Invalid Condition type : {operator}")
        if not isinstance(block, dict) or not block:
            raise MalformedPolicy("Syntax errors in policy.")
        for key, value in block.items():
            values = tuple(value) if isinstance(value, list) else (value,)
            if not all(isinstance(v, (str, bool, int, float)) for v in values):
                raise MalformedPolicy("Syntax errors in policy.")
            out.append(Condition(operator, key, values))
    return tuple(out)
