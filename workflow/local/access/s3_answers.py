"""S3's answers that depend on the caller's permissions, for the S3 service to give.

GetObject and HeadObject on a key that does not exist: "If you have the s3:ListBucket
permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error. If you
don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Forbidden
error" (S3 API Reference, GetObject and HeadObject, "Permissions"). The ListBucket check is
the request's own: it carries no ``s3:prefix``, so a ListBucket grant limited by an
``s3:prefix`` condition (as the stack's roles have) does not reveal a missing key.
"""
from __future__ import annotations

from workflow.local.access.caller import Caller
from workflow.local.context import ServerContext


def missing_key_status(ctx: ServerContext, caller: Caller, bucket: str) -> int:
    """404 (NoSuchKey) when ``caller`` may list ``bucket``, else 403 (AccessDenied)."""
    if ctx.authorizer is None:
        return 404
    return 404 if ctx.authorizer.allows(caller, "s3:ListBucket", [f"arn:aws:s3:::{bucket}"]) else 403
