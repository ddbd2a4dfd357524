"""rest-xml as S3 speaks it: routing by method, path, query and headers, aws-chunked
bodies, XML answers and errors, checked against botocore's own serialiser and parser."""
from __future__ import annotations

import io
import os

import pytest
from botocore.httpchecksum import AwsChunkedWrapper, CrtCrc64NvmeChecksum

from tests.unit.protocol_helpers import botocore_request
from workflow.local.protocol.aws_chunked import AwsChunkedReader
from workflow.local.protocol.http import Headers, Request
from workflow.local.protocol.models import service_model
from workflow.local.protocol.rest_xml import Router, bucket_in_host, parse_request
from workflow.local.s3.errors import IncompleteBody, MalformedXML


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(service_model("s3"))


@pytest.mark.parametrize("operation,params", [
    ("PutObject", {"Bucket": "b", "Key": "k/a b", "Body": b"x"}),
    ("UploadPart", {"Bucket": "b", "Key": "k", "Body": b"x", "PartNumber": 2, "UploadId": "u"}),
    ("CopyObject", {"Bucket": "b", "Key": "k", "CopySource": "b/src"}),
    ("GetObject", {"Bucket": "b", "Key": "dir/"}),
    ("ListParts", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
    ("DeleteObject", {"Bucket": "b", "Key": "k"}),
    ("AbortMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
    ("CreateMultipartUpload", {"Bucket": "b", "Key": "k"}),
    ("CompleteMultipartUpload", {"Bucket": "b", "Key": "k", "UploadId": "u"}),
    ("ListObjectsV2", {"Bucket": "b", "Prefix": "p/"}),
    ("CreateBucket", {"Bucket": "b"}),
    ("HeadBucket", {"Bucket": "b"}),
    ("ListBuckets", {}),
    ("GetBucketLocation", {"Bucket": "b"}),
    ("DeleteObjects", {"Bucket": "b", "Delete": {"Objects": [{"Key": "k"}]}}),
])
def test_each_operation_is_told_apart(router: Router, operation: str, params: dict) -> None:
    request = botocore_request("s3", operation, params)
    found = router.match(request)
    assert found is not None and found[0].name == operation
    if "Key" in params:
        assert found[1]["Key"] == params["Key"]


def test_the_bucket_may_come_in_the_host_name(router: Router) -> None:
    request = Request("GET", "/a/b.txt", Headers({"Host": "my-bucket.localhost:4580"}))
    operation, labels = router.match(request)
    assert (operation.name, labels) == ("GetObject", {"Bucket": "my-bucket", "Key": "a/b.txt"})
    operation, labels = router.match(Request("GET", "/?list-type=2", Headers({"Host": "my-bucket.localhost"})))
    assert (operation.name, labels) == ("ListObjectsV2", {"Bucket": "my-bucket"})
    assert bucket_in_host("127.0.0.1:4580") is None and bucket_in_host("localhost") is None


def test_xml_payloads_parse_and_bad_xml_is_malformed(router: Router) -> None:
    request = botocore_request("s3", "CompleteMultipartUpload", {
        "Bucket": "b", "Key": "k", "UploadId": "u",
        "MultipartUpload": {"Parts": [{"PartNumber": 1, "ETag": '"e1"'}, {"PartNumber": 2, "ETag": '"e2"'}]}})
    operation, labels = router.match(request)
    params = parse_request(operation, request, labels)
    assert params["MultipartUpload"]["Parts"][1] == {"PartNumber": 2, "ETag": '"e2"'}
    request.body = b"<CompleteMultipartUpload><Part>"
    with pytest.raises(MalformedXML):
        parse_request(operation, request, labels)


def test_aws_chunked_reader_returns_the_data_and_the_trailers() -> None:
    data = os.urandom(200_000)
    framed = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=CrtCrc64NvmeChecksum,
                               checksum_name="x-amz-checksum-crc64nvme", chunk_size=65536).read()
    reader = AwsChunkedReader(io.BytesIO(framed))
    assert reader.read() == data and set(reader.trailers) == {"x-amz-checksum-crc64nvme"}
    with pytest.raises(IncompleteBody):
        AwsChunkedReader(io.BytesIO(framed[:1000])).read()
    with pytest.raises(IncompleteBody):
        AwsChunkedReader(io.BytesIO(b"zz\r\nabc")).read()
