"""Whether a role's trust policy lets a principal assume it.

Within one account, a trust policy that names the principal's own ARN allows the request by
itself, while one that names the account (its id or its root ARN) delegates the decision to
the principal's identity-based policies, which must then allow sts:AssumeRole too (IAM User
Guide: "Policy evaluation for requests within a single account", and "IAM roles" on trust
policies).
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from workflow.local.access.caller import AccountAdmin, AssumedRole, Caller
from workflow.local.access.policy import AccessRequest, Decision, PolicyKind, PrincipalName, evaluate, parse_policy
from workflow.local.iam.facade import Role


class Trust(enum.Enum):
    #: The trust policy names the principal itself (its ARN, or its service).
    NAMED = "named"
    #: The trust policy names the principal's account: its identity policies decide.
    ACCOUNT = "account"
    DENIED = "denied"


def account_names(account_id: str) -> tuple[str, ...]:
    return (account_id, f"arn:aws:iam::{account_id}:root")


def caller_names(caller: Caller) -> tuple[str, ...]:
    """The names a trust policy may give the caller itself (not its account)."""
    if isinstance(caller, AssumedRole):
        return (caller.role_arn, caller.arn)
    assert isinstance(caller, AccountAdmin)
    return account_names(caller.account_id)


def trust_of(role: Role, kind: str, names: tuple[str, ...], account_id: str | None,
             context: Mapping[str, Any], action: str = "sts:AssumeRole") -> Trust:
    """How ``role``'s trust policy answers ``action`` by the principal of ``kind`` with
    ``names`` (of account ``account_id``; None for a service principal)."""
    policy = parse_policy(role.trust_policy, PolicyKind.TRUST)
    delegated = account_names(account_id) if account_id else ()
    decision = evaluate((policy,), AccessRequest(action, None, context, PrincipalName(kind, names + delegated)))
    if decision is not Decision.ALLOW:
        return Trust.DENIED
    if not delegated:
        return Trust.NAMED
    named = evaluate((policy,), AccessRequest(action, None, context, PrincipalName(kind, names)))
    return Trust.NAMED if named is Decision.ALLOW else Trust.ACCOUNT
