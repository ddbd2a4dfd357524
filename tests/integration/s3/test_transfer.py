"""Moving bytes through the local S3: aws-chunked uploads with trailing checksums, large
multipart transfers, the AWS CLI, restarts, crashes, and keys that look like paths."""
from __future__ import annotations

import hashlib
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import botocore.session
import pytest
from awscrt.auth import AwsCredentialsProvider
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.httpchecksum import AwsChunkedWrapper, CrtCrc32Checksum, CrtCrc64NvmeChecksum
from s3transfer.crt import BotocoreCRTRequestSerializer, CRTTransferManager, create_s3_crt_client

from tests.integration.conftest import start_local_server
from tests.integration.s3_helpers import bucket_name, error_of, raw, s3_client

MiB = 1 << 20




def _chunked_put(endpoint_url: str, path: str, data: bytes, checksum_cls: type, name: str,
                 corrupt: bool = False) -> tuple[int, bytes]:
    """A PUT framed as boto3 frames it over TLS: aws-chunked, the checksum in a trailer."""
    encoded = AwsChunkedWrapper(io.BytesIO(data), checksum_cls=checksum_cls, checksum_name=name,
                                chunk_size=64 * 1024).read()
    if corrupt:  # the end of the trailer's value changed
        encoded = encoded[:-8] + b"AAAA==\r\n\r\n"
    status, _, body = raw(endpoint_url, "PUT", path, body=iter([encoded[i:i + 70000] for i in
                                                                  range(0, len(encoded), 70000)]),
                          chunked=True, headers={
                              "Content-Encoding": "aws-chunked", "X-Amz-Trailer": name,
                              "X-Amz-Decoded-Content-Length": str(len(data)),
                              "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
    return status, body


@pytest.mark.parametrize("checksum_cls,name,member", [
    (CrtCrc32Checksum, "x-amz-checksum-crc32", "ChecksumCRC32"),
    (CrtCrc64NvmeChecksum, "x-amz-checksum-crc64nvme", "ChecksumCRC64NVME"),
])
def test_aws_chunked_uploads_have_their_trailing_checksum_verified(local_server, s3, bucket, checksum_cls,
                                                                   name, member) -> None:
    data = os.urandom(300 * 1024 + 7)
    status, body = _chunked_put(local_server.endpoint_url, f"/{bucket}/chunked-{member}", data, checksum_cls, name)
    assert status == 200, body
    got = s3.get_object(Bucket=bucket, Key=f"chunked-{member}", ChecksumMode="ENABLED")
    assert got["Body"].read() == data and got["ContentLength"] == len(data)
    assert got["ContentEncoding"] is None if "ContentEncoding" in got else True  # aws-chunked is not stored
    running = checksum_cls()
    running.update(data)
    assert got[member] == running.b64digest()
    status, body = _chunked_put(local_server.endpoint_url, f"/{bucket}/corrupt-{member}", data, checksum_cls,
                                name, corrupt=True)
    assert status == 400 and error_of(body)["Code"] == "BadDigest"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key=f"corrupt-{member}")


def test_signed_aws_chunked_frames_decode(local_server, s3, bucket) -> None:
    chunks = [b"a" * 65536, b"b" * 100]
    framed = b"".join(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), b"0" * 64, c) for c in chunks)
    framed += b"0;chunk-signature=" + b"0" * 64 + b"\r\n\r\n"
    status, _, body = raw(local_server.endpoint_url, "PUT", f"/{bucket}/signed-chunks", body=framed, headers={
        "Content-Encoding": "aws-chunked", "X-Amz-Decoded-Content-Length": str(65636),
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"})
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="signed-chunks")["Body"].read() == b"".join(chunks)


def test_a_wrong_content_sha256_is_refused(local_server, bucket) -> None:
    status, _, body = raw(local_server.endpoint_url, "PUT", f"/{bucket}/sha", body=b"abc",
                          headers={"x-amz-content-sha256": hashlib.sha256(b"abd").hexdigest()})
    assert status == 400 and error_of(body)["Code"] == "XAmzContentSHA256Mismatch"


@pytest.mark.slow
def test_a_200_mb_file_goes_up_and_down_in_parts_with_checksums(local_server, s3, bucket, tmp_path) -> None:
    source = tmp_path / "big.bin"
    with source.open("wb") as out:
        for _ in range(200):
            out.write(os.urandom(MiB))
    s3.upload_file(str(source), bucket, "big.bin")
    head = s3.head_object(Bucket=bucket, Key="big.bin", ChecksumMode="ENABLED")
    parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])
    assert head["ContentLength"] == 200 * MiB and parts > 1  # multipart, "-N" ETag
    assert head.get("ChecksumCRC32") or head.get("ChecksumCRC64NVME")
    target = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(target))
    assert _sha256(target) == _sha256(source)
    source.unlink()
    target.unlink()


def test_the_crt_transfer_client_moves_a_file_up_and_down(local_server, s3, bucket, tmp_path) -> None:
    """s3transfer's CRT client (the AWS CLI v2's with preferred_transfer_client = crt): parts
    with trailing CRC32s up, ranged GETs down that send ``x-amz-checksum-mode: enabled``."""
    source = tmp_path / "crt.bin"
    source.write_bytes(os.urandom(20 * MiB + 3))
    crt = create_s3_crt_client("us-east-1", AwsCredentialsProvider.new_static("local", "local"),
                               use_ssl=False, part_size=8 * MiB)
    serializer = BotocoreCRTRequestSerializer(botocore.session.Session(), {
        "region_name": "us-east-1", "endpoint_url": local_server.endpoint_url,
        "config": Config(s3={"addressing_style": "path"})})
    target = tmp_path / "crt-back.bin"
    with CRTTransferManager(crt, serializer) as transfers:
        transfers.upload(str(source), bucket, "crt.bin", {}).result(timeout=120)
        transfers.download(bucket, "crt.bin", str(target), {}).result(timeout=120)
    head = s3.head_object(Bucket=bucket, Key="crt.bin", ChecksumMode="ENABLED")
    assert head["ETag"].endswith('-3"') and head["ChecksumCRC32"].endswith("-3")
    assert _sha256(target) == _sha256(source)


def test_the_checksum_mode_is_read_in_any_case(local_server, s3, bucket) -> None:
    s3.put_object(Bucket=bucket, Key="mode", Body=b"abc", ChecksumAlgorithm="CRC32")
    for mode in ("enabled", "Enabled"):
        status, headers, body = raw(local_server.endpoint_url, "GET", f"/{bucket}/mode",
                                    headers={"x-amz-checksum-mode": mode})
        assert status == 200 and body == b"abc", body
        assert headers["x-amz-checksum-crc32"] == s3.head_object(
            Bucket=bucket, Key="mode", ChecksumMode="ENABLED")["ChecksumCRC32"]
    status, _, body = raw(local_server.endpoint_url, "GET", f"/{bucket}/mode",
                          headers={"x-amz-checksum-mode": "sometimes"})
    assert status == 400 and error_of(body)["Code"] == "InvalidArgument"


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def test_the_aws_cli_copies_lists_syncs_and_removes(local_server, tmp_path) -> None:
    aws = Path(sys.executable).parent / "aws"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
           "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_PROFILE", None)

    def cli(*args: str) -> str:
        done = subprocess.run([str(aws), "--endpoint-url", local_server.endpoint_url, *args],
                              capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "a.txt").write_text("alpha")
    (tree / "sub" / "b.txt").write_text("beta")
    name = bucket_name("cli")
    cli("s3", "mb", f"s3://{name}")
    cli("s3", "cp", str(tree / "a.txt"), f"s3://{name}/one/a.txt")
    cli("s3", "sync", str(tree), f"s3://{name}/tree")
    listed = cli("s3", "ls", f"s3://{name}", "--recursive")
    assert [line.split()[-1] for line in listed.splitlines()] == ["one/a.txt", "tree/a.txt", "tree/sub/b.txt"]
    assert "upload:" not in cli("s3", "sync", str(tree), f"s3://{name}/tree")  # nothing changed
    cli("s3", "cp", f"s3://{name}/tree/sub/b.txt", str(tmp_path / "b-back.txt"))
    assert (tmp_path / "b-back.txt").read_text() == "beta"
    cli("s3", "rm", f"s3://{name}", "--recursive")
    assert cli("s3", "ls", f"s3://{name}", "--recursive") == ""
    cli("s3", "rb", f"s3://{name}")


def test_keys_that_look_like_paths_stay_keys(local_server, s3, bucket, tmp_path) -> None:
    keys = ["../../escape.txt", "/absolute/path", "a/../../b", "nul\x00byte", "dots/./../x",
            "k" * 1024, "spaces and %2F and ?query#frag"]
    for index, key in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=f"body {index}".encode())
    for index, key in enumerate(keys):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == f"body {index}".encode()
    listed = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
              for o in page.get("Contents", [])}
    assert set(keys) <= listed
    data_dir = Path(local_server.data_dir)
    stored = [p for p in (data_dir / "s3").rglob("*") if p.is_file()]
    assert stored and all(p.name.isalnum() and len(p.name) == 32 for p in stored)  # opaque blob ids
    assert not (data_dir.parent / "escape.txt").exists() and not Path("/absolute/path").exists()


def test_objects_survive_a_restart(tmp_path) -> None:
    server = start_local_server(tmp_path / "server")
    try:
        s3 = s3_client(server.endpoint_url)
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="a/b", Body=b"still here", Metadata={"m": "1"})
    finally:
        server.stop()
    server = start_local_server(tmp_path / "server")
    try:
        s3 = s3_client(server.endpoint_url)
        got = s3.get_object(Bucket="kept", Key="a/b")
        assert (got["Body"].read(), got["Metadata"]) == (b"still here", {"m": "1"})
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="kept")["Contents"]] == ["a/b"]
    finally:
        server.stop()


def test_kill_9_during_an_upload_leaves_no_partial_object(tmp_path) -> None:
    server = start_local_server(tmp_path / "server")
    try:
        s3 = s3_client(server.endpoint_url)
        s3.create_bucket(Bucket="crash")
        s3.put_object(Bucket="crash", Key="big", Body=b"the old version")
        parts = urlsplit(server.endpoint_url)
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.sendall(f"PUT /crash/{quote('big')} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Content-Length: {64 * MiB}\r\n\r\n".encode())
        for _ in range(16):
            sock.sendall(b"x" * MiB)
        incoming = tmp_path / "server" / "s3" / "incoming"
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size for p in incoming.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any(incoming.iterdir())  # the upload is being written
        server.kill()
        sock.close()
    finally:
        server.stop()
    server = start_local_server(tmp_path / "server")
    try:
        s3 = s3_client(server.endpoint_url)
        assert s3.get_object(Bucket="crash", Key="big")["Body"].read() == b"the old version"
        assert list((tmp_path / "server" / "s3" / "incoming").iterdir()) == []
        blobs = [p for p in (tmp_path / "server" / "s3" / "blobs").rglob("*") if p.is_file()]
        assert len(blobs) == 1  # only the old version's bytes
    finally:
        server.stop()
