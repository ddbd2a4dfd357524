"""S3's 403-or-404 for a missing key, decided by the caller's s3:ListBucket permission."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflow.local.access.authorizer import Authorizer
from workflow.local.access.caller import ADMIN, AssumedRole
from workflow.local.access.s3_answers import missing_key_status
from workflow.local.context import ServerContext
from workflow.local.iam.facade import RoleDirectory
from workflow.local.iam.records import ROLE, Role, role_key
from workflow.local.store import Store

pytestmark = pytest.mark.unit
ACCOUNT = "123456789012"


def context_with_role(tmp_path: Path, statements: list[dict]) -> tuple[ServerContext, AssumedRole]:
    store = Store(tmp_path / "state.sqlite3")
    role = Role("reader", "AROAEXAMPLE", f"arn:aws:iam::{ACCOUNT}:role/reader", "/", datetime.now(timezone.utc),
                "{}", policies={"p": json.dumps({"Version": "2012-10-17", "Statement": statements})})
    store.put(ROLE, role_key(role.name), role.to_document())
    ctx = ServerContext(data_dir=tmp_path, store=store, endpoint_url="http://127.0.0.1:9")
    ctx.authorizer = Authorizer(RoleDirectory(store, ACCOUNT))
    caller = AssumedRole(ACCOUNT, role.name, role.arn, role.role_id, "s", "ASIAEXAMPLE", datetime.now(timezone.utc))
    return ctx, caller


def test_a_caller_who_may_list_the_bucket_is_told_the_key_is_missing(tmp_path: Path) -> None:
    ctx, caller = context_with_role(tmp_path, [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data"}])
    assert missing_key_status(ctx, caller, "data") == 404
    assert missing_key_status(ctx, caller, "other") == 403
    assert missing_key_status(ctx, ADMIN, "other") == 404


def test_a_listing_grant_limited_by_prefix_does_not_reveal_a_missing_key(tmp_path: Path) -> None:
    # The stack's ListDataPrefix statement: a HeadObject carries no s3:prefix.
    ctx, caller = context_with_role(tmp_path, [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data",
         "Condition": {"StringLike": {"s3:prefix": ["dogs/*"]}}}])
    assert missing_key_status(ctx, caller, "data") == 403
