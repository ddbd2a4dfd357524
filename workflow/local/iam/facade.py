"""The typed interface other local services use to read IAM: roles and their parsed policies.

STS reads a role's trust policy and session limit through it; the authorizer reads a role's
identity-based policies. Nothing outside this package reads IAM's store.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, cast

from workflow.local.access.policy import PolicyKind, PolicySet, parse_policy
from workflow.local.iam.records import ROLE, Role, role_key
from workflow.local.store import Store

if TYPE_CHECKING:
    from workflow.local.context import ServerContext
    from workflow.local.iam.backend import IamBackend

__all__ = ["Role", "RoleDirectory", "roles"]


class RoleDirectory:
    def __init__(self, store: Store, account_id: str) -> None:
        self._store = store
        self._account_id = account_id
        self._policies: dict[str, PolicySet] = {}
        #: Bumped by every change, so a read that raced a change does not cache what it read.
        self._generation = 0
        self._lock = threading.Lock()

    def role(self, name: str) -> Role | None:
        doc = self._store.get(ROLE, role_key(name))
        return Role.from_document(doc) if doc is not None else None

    def role_by_arn(self, arn: str) -> Role | None:
        """The role an ARN names (``arn:aws:iam::ACCOUNT:role/PATH/NAME``); None for another account."""
        prefix = f"arn:aws:iam::{self._account_id}:role/"
        if not arn.startswith(prefix):
            return None
        role = self.role(arn.rsplit("/", 1)[-1])
        return role if role is not None and role.arn == arn else None

    def identity_policies(self, role_name: str) -> PolicySet:
        """The role's inline policies, parsed once until the role changes."""
        key = role_key(role_name)
        with self._lock:
            cached = self._policies.get(key)
            generation = self._generation
        if cached is not None:
            return cached
        role = self.role(role_name)
        policies = PolicySet(tuple(parse_policy(text, PolicyKind.IDENTITY) for text in role.policies.values())
                             if role else ())
        with self._lock:
            if generation == self._generation:
                self._policies[key] = policies
        return policies

    def forget(self, role_name: str) -> None:
        """Called by IAM whenever a role or its policies change."""
        with self._lock:
            self._generation += 1
            self._policies.pop(role_key(role_name), None)


def roles(ctx: ServerContext) -> RoleDirectory:
    """The IAM service of this server, as other services may use it."""
    return cast("IamBackend", ctx.backend("iam")).directory


def served_roles(ctx: ServerContext) -> RoleDirectory | None:
    """The IAM service of this server; None when the server runs without it."""
    backend = ctx.backends.get("iam")
    return cast("IamBackend", backend).directory if backend is not None else None
