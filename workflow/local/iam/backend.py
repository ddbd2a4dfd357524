"""The local IAM service: roles, their trust policies, inline policies and tags.

What a deployment needs of IAM's API (CreateRole, GetRole, ListRoles, UpdateRole,
UpdateAssumeRolePolicy, DeleteRole, Put/Get/List/DeleteRolePolicy, Tag/Untag/ListRoleTags,
ListAttachedRolePolicies), with IAM's rules: role names unique whatever their case, a role
with policies cannot be deleted, documents checked as IAM checks them, at most 10,240
characters of inline policy per role, documents answered URL-encoded (boto3 decodes them).
A role session's own calls are authorized here, on the role's real ARN (with its path).
"""
from __future__ import annotations

import secrets
import string
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from workflow.local.access import caller as callers
from workflow.local.access.policy import MalformedPolicy, PolicyKind, parse_policy
from workflow.local.access.reference import tag_context
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.iam.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)
from workflow.local.iam.facade import RoleDirectory
from workflow.local.iam.records import ROLE, Role, role_key

#: "The size of each managed policy cannot exceed 6,144 characters ... the aggregate size of
#: inline policies for a role cannot exceed 10,240 characters. IAM doesn't count white space"
#: ("IAM and AWS STS quotas").
INLINE_POLICY_LIMIT = 10_240
_ID_CHARS = string.ascii_uppercase + string.digits


def _unique_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(17))


def _checked(document: str, kind: PolicyKind) -> str:
    try:
        parse_policy(document, kind)
    except MalformedPolicy as exc:
        raise MalformedPolicyDocument(str(exc)) from None
    return document


def _page(items: list[Any], params: dict[str, Any], key: Any) -> tuple[list[Any], dict[str, Any]]:
    """IAM's Marker/MaxItems paging; the marker is the key of the last item returned."""
    marker = params.get("Marker")
    if marker:
        items = [i for i in items if key(i) > marker]
    size = params.get("MaxItems") or 100
    page = items[:size]
    more = len(items) > size
    return page, {"IsTruncated": more, **({"Marker": key(page[-1])} if more else {})}


class IamBackend(Backend):
    service = "iam"
    authorizes_itself = True

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.directory = RoleDirectory(ctx.store, ctx.account_id)

    # -- helpers --------------------------------------------------------------------
    def _arn(self, path: str, name: str) -> str:
        return f"arn:aws:iam::{self.ctx.account_id}:role{path}{name}"

    def _authorize(self, action: str, name: str | None, role: Role | None = None,
                   context: dict[str, Any] | None = None) -> None:
        resource = "*" if name is None else role.arn if role is not None else self._arn("/", name)
        extra = dict(context or {})
        if role is not None:
            for key, value in role.tags.items():
                extra[f"aws:ResourceTag/{key}"] = value
                extra[f"iam:ResourceTag/{key}"] = value
        self.ctx.authorize(callers.current(), f"iam:{action}", [resource], extra, service="iam")

    def _role(self, action: str, name: str) -> Role:
        role = self.directory.role(name)
        self._authorize(action, name, role)
        if role is None:
            raise NoSuchEntity(f"The role with name {name} cannot be found.")
        return role

    def _save(self, role: Role) -> None:
        self.ctx.store.put(ROLE, role_key(role.name), role.to_document())
        self.directory.forget(role.name)

    def _public(self, role: Role, *, full: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Path": role.path, "RoleName": role.name, "RoleId": role.role_id, "Arn": role.arn,
            "CreateDate": role.created, "AssumeRolePolicyDocument": quote(role.trust_policy, safe=""),
            "MaxSessionDuration": role.max_session_duration,
        }
        if role.description is not None:
            out["Description"] = role.description
        if full:  # ListRoles leaves tags and last use out ("ListRoles", IAM API Reference)
            out["RoleLastUsed"] = {}
            if role.tags:
                out["Tags"] = [{"Key": k, "Value": v} for k, v in role.tags.items()]
        return out

    # -- roles ------------------------------------------------------------------------
    def create_role(self, params: dict[str, Any]) -> dict[str, Any]:
        name, path = params["RoleName"], params.get("Path") or "/"
        tags = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
        self.ctx.authorize(callers.current(), "iam:CreateRole", [self._arn(path, name)], tag_context(tags),
                           service="iam")
        role = Role(name=name, role_id=_unique_id("AROA"), arn=self._arn(path, name), path=path,
                    created=datetime.now(timezone.utc).replace(microsecond=0),
                    trust_policy=_checked(params["AssumeRolePolicyDocument"], PolicyKind.TRUST),
                    description=params.get("Description"),
                    max_session_duration=params.get("MaxSessionDuration") or 3600, tags=tags)
        if not self.ctx.store.insert(ROLE, role_key(name), role.to_document()):
            raise EntityAlreadyExists(f"Role with name {name} already exists.")
        self.directory.forget(name)
        return {"Role": self._public(role)}

    def get_role(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Role": self._public(self._role("GetRole", params["RoleName"]))}

    def list_roles(self, params: dict[str, Any]) -> dict[str, Any]:
        self._authorize("ListRoles", None)
        prefix = params.get("PathPrefix") or "/"
        roles = sorted((Role.from_document(d) for d in self.ctx.store.list(ROLE)), key=lambda r: r.name.lower())
        page, more = _page([r for r in roles if r.path.startswith(prefix)], params, lambda r: r.name.lower())
        return {"Roles": [self._public(r, full=False) for r in page], **more}

    def update_role(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("UpdateRole", params["RoleName"])
        if params.get("Description") is not None:
            role.description = params["Description"]
        if params.get("MaxSessionDuration") is not None:
            role.max_session_duration = params["MaxSessionDuration"]
        self._save(role)
        return {}

    def update_assume_role_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("UpdateAssumeRolePolicy", params["RoleName"])
        role.trust_policy = _checked(params["PolicyDocument"], PolicyKind.TRUST)
        self._save(role)
        return {}

    def delete_role(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("DeleteRole", params["RoleName"])
        if role.policies:
            raise DeleteConflict("Cannot delete entity, must delete policies first.")
        self.ctx.store.delete(ROLE, role_key(role.name))
        self.directory.forget(role.name)
        return {}

    # -- inline policies --------------------------------------------------------------
    def put_role_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("PutRolePolicy", params["RoleName"])
        document = _checked(params["PolicyDocument"], PolicyKind.IDENTITY)
        policies = {**role.policies, params["PolicyName"]: document}
        size = sum(len("".join(text.split())) for text in policies.values())
        if size > INLINE_POLICY_LIMIT:
            raise LimitExceeded(f"Maximum policy size of {INLINE_POLICY_LIMIT} bytes exceeded for role {role.name}")
        role.policies = policies
        self._save(role)
        return {}

    def _policy(self, action: str, params: dict[str, Any]) -> tuple[Role, str]:
        role = self._role(action, params["RoleName"])
        name = params["PolicyName"]
        if name not in role.policies:
            raise NoSuchEntity(f"The role policy with name {name} cannot be found.")
        return role, name

    def get_role_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        role, name = self._policy("GetRolePolicy", params)
        return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": quote(role.policies[name], safe="")}

    def list_role_policies(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("ListRolePolicies", params["RoleName"])
        page, more = _page(sorted(role.policies), params, lambda n: n)
        return {"PolicyNames": page, **more}

    def delete_role_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        role, name = self._policy("DeleteRolePolicy", params)
        del role.policies[name]
        self._save(role)
        return {}

    def list_attached_role_policies(self, params: dict[str, Any]) -> dict[str, Any]:
        self._role("ListAttachedRolePolicies", params["RoleName"])
        return {"AttachedPolicies": [], "IsTruncated": False}  # no managed policies here

    # -- tags -------------------------------------------------------------------------
    def tag_role(self, params: dict[str, Any]) -> dict[str, Any]:
        tags = {t["Key"]: t["Value"] for t in params["Tags"]}
        role = self.directory.role(params["RoleName"])
        self._authorize("TagRole", params["RoleName"], role, tag_context(tags))
        if role is None:
            raise NoSuchEntity(f"The role with name {params['RoleName']} cannot be found.")
        role.tags.update(tags)
        if len(role.tags) > 50:
            raise LimitExceeded("The number of tags has reached the maximum limit.")
        self._save(role)
        return {}

    def untag_role(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("UntagRole", params["RoleName"])
        for key in params["TagKeys"]:
            role.tags.pop(key, None)
        self._save(role)
        return {}

    def list_role_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        role = self._role("ListRoleTags", params["RoleName"])
        page, more = _page(sorted(role.tags), params, lambda k: k)
        return {"Tags": [{"Key": k, "Value": role.tags[k]} for k in page], **more}

