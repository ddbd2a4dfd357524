"""S3's errors, one class each, with the HTTP status S3 answers them with.

Codes and statuses: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
Extra members (``BucketName``, ``Key``, ``ActualObjectSize`` ...) go into the XML error
as S3 writes them.
"""
from __future__ import annotations

from workflow.local.errors import ClientError


class S3Error(ClientError):
    pass


class NoSuchBucket(S3Error):
    code, status = "NoSuchBucket", 404


class NoSuchKey(S3Error):
    code, status = "NoSuchKey", 404


class NoSuchUpload(S3Error):
    code, status = "NoSuchUpload", 404


class BucketAlreadyOwnedByYou(S3Error):
    code, status = "BucketAlreadyOwnedByYou", 409


class BucketNotEmpty(S3Error):
    code, status = "BucketNotEmpty", 409


class InvalidBucketName(S3Error):
    code, status = "InvalidBucketName", 400


class KeyTooLongError(S3Error):
    code, status = "KeyTooLongError", 400


class InvalidRange(S3Error):
    code, status = "InvalidRange", 416


class InvalidPart(S3Error):
    code, status = "InvalidPart", 400


class InvalidPartOrder(S3Error):
    code, status = "InvalidPartOrder", 400


class EntityTooSmall(S3Error):
    code, status = "EntityTooSmall", 400


class EntityTooLarge(S3Error):
    code, status = "EntityTooLarge", 400


class BadDigest(S3Error):
    code, status = "BadDigest", 400


class InvalidDigest(S3Error):
    code, status = "InvalidDigest", 400


class XAmzContentSHA256Mismatch(S3Error):
    code, status = "XAmzContentSHA256Mismatch", 400


class IncompleteBody(S3Error):
    code, status = "IncompleteBody", 400


class PreconditionFailed(S3Error):
    code, status = "PreconditionFailed", 412


class NotModified(S3Error):
    """Not a failure: a conditional GET or HEAD whose copy is current (304, no body)."""

    code, status = "NotModified", 304


class InvalidArgument(S3Error):
    code, status = "InvalidArgument", 400


class InvalidRequest(S3Error):
    code, status = "InvalidRequest", 400


class MalformedXML(S3Error):
    code, status = "MalformedXML", 400


class InvalidURI(S3Error):
    code, status = "InvalidURI", 400


class MissingContentLength(S3Error):
    code, status = "MissingContentLength", 411


class AccessDenied(S3Error):
    code, status = "AccessDenied", 403


class MethodNotAllowed(S3Error):
    code, status = "MethodNotAllowed", 405


class IllegalLocationConstraintException(S3Error):
    code, status = "IllegalLocationConstraintException", 400


class InvalidLocationConstraint(S3Error):
    code, status = "InvalidLocationConstraint", 400


class NotImplementedByLocalS3(S3Error):
    code, status = "NotImplemented", 501
