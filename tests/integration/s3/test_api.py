"""S3 on the local server, through boto3 and plain HTTP: the same calls as against AWS."""
from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.integration.s3_helpers import bucket_name, raw, s3_client


def test_buckets_are_created_listed_located_and_deleted(s3) -> None:
    name = bucket_name("life")
    assert s3.create_bucket(Bucket=name)["Location"] == f"/{name}"
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "us-east-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_an_object_keeps_its_bytes_metadata_content_type_and_etag(s3, bucket) -> None:
    put = s3.put_object(Bucket=bucket, Key="notes/a.txt", Body=b"hello world", ContentType="text/plain",
                        Metadata={"Owner": "ml-team"}, CacheControl="max-age=60")
    assert put["ETag"] == '"5eb63bbbe01eeed093cb22bb8f5acdc3"'  # the MD5 of the bytes, as S3
    got = s3.get_object(Bucket=bucket, Key="notes/a.txt", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"hello world"
    assert (got["ContentType"], got["Metadata"], got["CacheControl"]) == ("text/plain", {"owner": "ml-team"},
                                                                          "max-age=60")
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"] == "DUoRhQ=="
    head = s3.head_object(Bucket=bucket, Key="notes/a.txt")
    assert (head["ContentLength"], head["ETag"]) == (11, put["ETag"])


def test_an_object_uploaded_without_a_checksum_gets_s3s_default_crc64nvme(s3, bucket) -> None:
    url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "plain"})
    urllib.request.urlopen(urllib.request.Request(url, data=b"abc", method="PUT"))
    head = s3.head_object(Bucket=bucket, Key="plain", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] and head["ChecksumType"] == "FULL_OBJECT"


def test_ranges_and_conditional_gets(s3, bucket) -> None:
    etag = s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")["ETag"]
    part = s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-5")
    assert part["Body"].read() == b"2345" and part["ContentRange"] == "bytes 2-5/10"
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", IfMatch=etag)["Body"].read() == b"0123456789"
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", IfNoneMatch=etag)
    assert caught.value.response["Error"]["Code"] == "304"
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    with pytest.raises(ClientError) as caught:
        s3.get_object(Bucket=bucket, Key="r", IfModifiedSince=later)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304


def test_copy_delete_and_delete_objects(s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"})
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    copied = s3.get_object(Bucket=bucket, Key="dst")
    assert copied["Body"].read() == b"payload" and copied["Metadata"] == {"a": "1"}
    s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", MetadataDirective="REPLACE",
                   Metadata={"b": "2"}, ContentType="text/x-new")
    assert s3.head_object(Bucket=bucket, Key="dst")["Metadata"] == {"b": "2"}
    s3.delete_object(Bucket=bucket, Key="src")
    s3.delete_object(Bucket=bucket, Key="never-there")  # S3 answers 204 either way
    answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "dst"}, {"Key": "gone"}]})
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["dst", "gone"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_list_objects_v2_prefix_delimiter_pages_and_start_after(s3, bucket) -> None:
    keys = ["a.txt", "b/1", "b/2", "b/c/3", "c/4", "d e+f", "é/5"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [c["Key"] for c in top["Contents"]] == ["a.txt", "d e+f"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["b/", "c/", "é/"]
    assert top["KeyCount"] == 5
    under_b = s3.list_objects_v2(Bucket=bucket, Prefix="b/", Delimiter="/")
    assert [c["Key"] for c in under_b["Contents"]] == ["b/1", "b/2"]
    assert [p["Prefix"] for p in under_b["CommonPrefixes"]] == ["b/c/"]
    seen, token = [], None
    while True:
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, **({"ContinuationToken": token} if token else {}))
        assert page["KeyCount"] <= 2
        seen += [c["Key"] for c in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == sorted(keys, key=lambda k: k.encode())  # UTF-8 byte order, as S3
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="b/2")
    assert [c["Key"] for c in after["Contents"]][:2] == ["b/c/3", "c/4"]
    paged_prefixes = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=3)
    rest = s3.list_objects_v2(Bucket=bucket, Delimiter="/", MaxKeys=3,
                              ContinuationToken=paged_prefixes["NextContinuationToken"])
    assert [p["Prefix"] for p in paged_prefixes["CommonPrefixes"]] == ["b/", "c/"]
    assert [c["Key"] for c in rest["Contents"]] == ["d e+f"] and rest["CommonPrefixes"] == [{"Prefix": "é/"}]
    assert s3.list_objects_v2(Bucket=bucket, MaxKeys=0)["KeyCount"] == 0
    owned = s3.list_objects_v2(Bucket=bucket, FetchOwner=True, MaxKeys=1)["Contents"][0]
    assert owned["Owner"]["ID"]


def test_virtual_hosted_and_path_style_reach_the_same_objects(local_server, s3, bucket) -> None:
    # bucket.localhost does not resolve on every machine: the client sends its requests
    # through the server as an HTTP proxy, in absolute form, with the bucket in the host.
    port = local_server.port
    virtual = s3_client(f"http://localhost:{port}", proxies={"http": local_server.endpoint_url},
                        s3={"addressing_style": "virtual"})
    virtual.put_object(Bucket=bucket, Key="vh/key.txt", Body=b"by host name")
    assert s3.get_object(Bucket=bucket, Key="vh/key.txt")["Body"].read() == b"by host name"
    assert [o["Key"] for o in virtual.list_objects_v2(Bucket=bucket)["Contents"]] == ["vh/key.txt"]
    status, _, body = raw(local_server.endpoint_url, "GET", "/vh/key.txt",
                          headers={"Host": f"{bucket}.localhost:{port}"})
    assert (status, body) == (200, b"by host name")
    status, _, body = raw(local_server.endpoint_url, "GET", f"/{bucket}/vh/key.txt")
    assert (status, body) == (200, b"by host name")


def test_presigned_get_and_put_work_with_urllib_and_expire(s3, bucket) -> None:
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "up/p.bin"})
    request = urllib.request.Request(put_url, data=b"presigned bytes", method="PUT")
    assert urllib.request.urlopen(request).status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up/p.bin"})
    with urllib.request.urlopen(get_url) as answer:
        assert answer.read() == b"presigned bytes"
    short = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "up/p.bin"}, ExpiresIn=1)
    time.sleep(2.1)
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(short)
    assert caught.value.code == 403 and b"<Code>AccessDenied</Code>" in caught.value.read()


def test_multipart_upload_lists_parts_and_gets_a_dash_n_etag(s3, bucket) -> None:
    import hashlib

    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32",
                                        ContentType="application/x-tar", Metadata={"k": "v"})
    parts, md5s = [], []
    for number, fill in ((1, b"a"), (2, b"b")):
        data = fill * ((5 << 20) if number == 1 else 1000)
        answer = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=number,
                                Body=data, ChecksumAlgorithm="CRC32")
        parts.append({"PartNumber": number, "ETag": answer["ETag"], "ChecksumCRC32": answer["ChecksumCRC32"]})
        md5s.append(hashlib.md5(data).digest())  # noqa: S324
    listed = s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2]
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"] == f'"{hashlib.md5(b"".join(md5s)).hexdigest()}-2"'  # noqa: S324
    assert done["ChecksumCRC32"].endswith("-2") and done["ChecksumType"] == "COMPOSITE"
    head = s3.head_object(Bucket=bucket, Key="mp")
    assert (head["ContentLength"], head["ContentType"], head["Metadata"]) == ((5 << 20) + 1000,
                                                                              "application/x-tar", {"k": "v"})
    aborted = s3.create_multipart_upload(Bucket=bucket, Key="gone")
    s3.abort_multipart_upload(Bucket=bucket, Key="gone", UploadId=aborted["UploadId"])
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
