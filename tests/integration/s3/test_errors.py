"""S3's errors from the local server: the code boto3 raises, the HTTP status, the XML shape."""
from __future__ import annotations

import base64
import hashlib
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3_helpers import bucket_name, error_of, raw, s3_client

MiB = 1 << 20




def _upload(s3: Any, bucket: str, sizes: list[int]) -> tuple[str, list[dict[str, Any]]]:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    parts = []
    for number, size in enumerate(sizes, start=1):
        etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload_id, PartNumber=number,
                              Body=b"p" * size)["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    return upload_id, parts


def _cases(s3: Any, bucket: str) -> dict[str, tuple[int, Callable[[], Any]]]:
    s3.put_object(Bucket=bucket, Key="ten", Body=b"0123456789")
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()  # noqa: S324
    return {
        "NoSuchBucket": (404, lambda: s3.get_object(Bucket=bucket_name("missing"), Key="k")),
        "NoSuchKey": (404, lambda: s3.get_object(Bucket=bucket, Key="missing")),
        "BucketNotEmpty": (409, lambda: s3.delete_bucket(Bucket=bucket)),
        "InvalidRange": (416, lambda: s3.get_object(Bucket=bucket, Key="ten", Range="bytes=10-")),
        "BadDigest": (400, lambda: s3.put_object(Bucket=bucket, Key="bad", Body=b"data", ContentMD5=wrong_md5)),
        "InvalidBucketName": (400, lambda: s3.create_bucket(Bucket="Bad_Bucket_Name")),
        "KeyTooLongError": (400, lambda: s3.put_object(Bucket=bucket, Key="k" * 1025, Body=b"x")),
        "PreconditionFailed": (412, lambda: s3.get_object(Bucket=bucket, Key="ten", IfMatch='"nope"')),
        "NoSuchUpload": (404, lambda: s3.upload_part(Bucket=bucket, Key="mp", UploadId="0" * 32,
                                                     PartNumber=1, Body=b"x")),
    }


@pytest.mark.parametrize("code", ["NoSuchBucket", "NoSuchKey", "BucketNotEmpty", "InvalidRange", "BadDigest",
                                  "InvalidBucketName", "KeyTooLongError", "PreconditionFailed", "NoSuchUpload"])
def test_error_code_and_status(s3, bucket, code: str) -> None:
    status, call = _cases(s3, bucket)[code]
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    assert error["Error"]["Message"]


def test_multipart_errors(s3, bucket) -> None:
    upload_id, parts = _upload(s3, bucket, [1000, 1000])
    for parts_sent, code in (
        ([parts[1], parts[0]], "InvalidPartOrder"),
        ([{**parts[0], "ETag": '"0123"'}, parts[1]], "InvalidPart"),
        ([{"PartNumber": 3, "ETag": parts[0]["ETag"]}], "InvalidPart"),
        (parts, "EntityTooSmall"),  # a part before the last is under 5 MiB
    ):
        with pytest.raises(ClientError) as caught:
            s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id,
                                         MultipartUpload={"Parts": parts_sent})
        assert caught.value.response["Error"]["Code"] == code
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload_id)
    with pytest.raises(s3.exceptions.NoSuchUpload):
        s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload_id)


def test_bucket_already_owned_outside_us_east_1_and_legacy_ok_inside(local_server, s3) -> None:
    west = s3_client(local_server.endpoint_url, region="us-west-2")
    name = bucket_name("west")
    config = {"LocationConstraint": "us-west-2"}
    west.create_bucket(Bucket=name, CreateBucketConfiguration=config)
    assert west.get_bucket_location(Bucket=name)["LocationConstraint"] == "us-west-2"
    with pytest.raises(west.exceptions.BucketAlreadyOwnedByYou) as caught:
        west.create_bucket(Bucket=name, CreateBucketConfiguration=config)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    east = bucket_name("east")
    s3.create_bucket(Bucket=east)
    s3.create_bucket(Bucket=east)  # us-east-1 answers 200 again, for legacy compatibility
    with pytest.raises(ClientError) as caught:
        west.create_bucket(Bucket=bucket_name("nowhere"))
    assert caught.value.response["Error"]["Code"] == "IllegalLocationConstraintException"


def test_checksum_header_mismatch_is_bad_digest_and_stores_nothing(s3, bucket) -> None:
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="crc", Body=b"data", ChecksumCRC32="AAAAAA==")
    assert caught.value.response["Error"]["Code"] == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="crc")


def test_conditional_write_if_none_match_refuses_to_replace(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as caught:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"first"


def test_errors_are_s3_xml_with_request_ids(local_server, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="ten", Body=b"0123456789")
    status, headers, body = raw(local_server.endpoint_url, "GET", f"/{bucket}/no%20such%20key")
    error = error_of(body)
    assert status == 404 and headers["content-type"] == "application/xml"
    assert (error["Code"], error["Key"]) == ("NoSuchKey", "no such key")
    assert error["RequestId"] == headers["x-amz-request-id"] and error["HostId"]
    status, _, body = raw(local_server.endpoint_url, "PUT", "/Bad_Bucket_Name")
    assert status == 400 and error_of(body)["Code"] == "InvalidBucketName"
    status, _, body = raw(local_server.endpoint_url, "HEAD", f"/{bucket}/missing")
    assert (status, body) == (404, b"")  # S3 sends no body with a HEAD error
    status, _, body = raw(local_server.endpoint_url, "GET", f"/{bucket}/ten", headers={"Range": "bytes=20-30"})
    error = error_of(body)
    assert status == 416 and (error["Code"], error["ActualObjectSize"]) == ("InvalidRange", "10")


def test_an_upload_refused_up_front_is_answered_before_its_body_is_sent(local_server, s3) -> None:
    # boto3 asks for 100 Continue before a large body: the server answers the error instead,
    # so the body is never sent.
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.put_object(Bucket=bucket_name("missing"), Key="big", Body=b"x" * (32 * MiB))
    parts = urlsplit(local_server.endpoint_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(f"PUT /{bucket_name('missing')}/big HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Content-Length: {32 * MiB}\r\nExpect: 100-continue\r\n\r\n".encode())
        first = sock.makefile("rb").readline()
    assert first.startswith(b"HTTP/1.1 404"), first


def test_a_plain_chunked_upload_needs_a_content_length(local_server, s3, bucket) -> None:
    status, _, body = raw(local_server.endpoint_url, "PUT", f"/{bucket}/chunked", body=iter([b"abc", b"def"]),
                          chunked=True)
    assert (status, error_of(body)["Code"]) == (411, "MissingContentLength")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="chunked")
