"""The local run's bucket on the local server's S3: created once, the dataset zip and the
training code uploaded into it, as ``deploy`` puts them in the stack's buckets on AWS."""
from __future__ import annotations

import hashlib
import sys
import threading
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlparse

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from workflow.aws.packaging import Artifact
from workflow.pipeline.defaults import LOCAL_BUCKET, PREFIX

#: Parts of 64 MiB, four at a time: a 1 GB zip goes up in 16 parts.
TRANSFER = TransferConfig(multipart_threshold=64 << 20, multipart_chunksize=64 << 20, max_concurrency=4)
MB = 1 << 20


def split(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def ensure_buckets(s3: Any, *uris: str) -> None:
    """The local bucket and every bucket ``uris`` name exist (creating one we own is a no-op)."""
    for bucket in sorted({LOCAL_BUCKET, *(split(u)[0] for u in uris if u.startswith("s3://"))}):
        try:
            s3.create_bucket(Bucket=bucket)
        except ClientError as err:
            if err.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
                raise


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class _Progress:
    """``uploading NAME to URI: 42% (462/1100 MB)`` on one line (a new line per 10% off a terminal)."""

    def __init__(self, name: str, uri: str, total: int, out: TextIO) -> None:
        self.name, self.uri, self.total, self.out = name, uri, max(total, 1), out
        self.sent = 0
        self.shown = -1
        self.live = getattr(out, "isatty", lambda: False)()
        self._lock = threading.Lock()

    def __call__(self, count: int) -> None:
        with self._lock:
            self.sent += count
            percent = min(100, self.sent * 100 // self.total)
            if percent == self.shown or (not self.live and percent // 10 == self.shown // 10):
                return
            self.shown = percent
            line = (f"uploading {self.name} to {self.uri}: {percent}% "
                    f"({self.sent // MB}/{self.total // MB} MB)")
            print(("\r" + line) if self.live else line, end="" if self.live else "\n", file=self.out,
                  flush=True)

    def done(self) -> None:
        if self.live:
            print(file=self.out)


def upload_zip(s3: Any, path: Path, uri: str, out: TextIO = sys.stdout, config: TransferConfig = TRANSFER) -> None:
    """Upload a dataset zip (multipart, with a progress line); skipped when the object there
    has the same SHA-256 (recorded in its metadata) and size."""
    bucket, key = split(uri)
    checksum = _sha256(path)
    size = path.stat().st_size
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        if head["ContentLength"] == size and head.get("Metadata", {}).get("sha256") == checksum:
            print(f"{path.name} is already in {uri}", file=out)
            return
    except ClientError as err:
        if err.response["Error"]["Code"] not in ("404", "NoSuchKey"):
            raise
    extra = {"ContentType": "application/zip", "Metadata": {"sha256": checksum}}
    if size < config.multipart_threshold:  # one request: one line
        print(f"uploading {path.name} to {uri} ({size / MB:.1f} MB)", file=out)
        s3.upload_file(str(path), bucket, key, Config=config, ExtraArgs=extra)
        return
    progress = _Progress(path.name, uri, size, out)
    s3.upload_file(str(path), bucket, key, Config=config, Callback=progress, ExtraArgs=extra)
    progress.done()


def upload_code(s3: Any, artifact: Artifact) -> str:
    """The training code under ``<prefix>/code/`` (content-addressed, as on AWS); its URI."""
    key = artifact.key(PREFIX)
    try:
        s3.head_object(Bucket=LOCAL_BUCKET, Key=key)
    except ClientError:
        s3.upload_file(str(artifact.path), LOCAL_BUCKET, key)
    return f"s3://{LOCAL_BUCKET}/{key}"
