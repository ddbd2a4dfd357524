"""What other local services do with S3, through one small typed interface.

A training job's channels, checkpoints and artifacts, an endpoint's model data: each call
names its caller (the role it acts as), so access can be authorised per caller, and
nothing outside this package touches S3's records or files.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from workflow.local.access.caller import Caller
from workflow.local.s3.errors import NoSuchKey
from workflow.local.s3.objects import ObjectStore
from workflow.local.s3.records import StoredObject, SystemMetadata

if TYPE_CHECKING:
    from workflow.local.context import ServerContext


class UnsafeKey(ValueError):
    """A key that cannot become a file path under the destination (``..``, NUL, absolute)."""


@dataclass(frozen=True)
class S3Uri:
    bucket: str
    key: str

    @classmethod
    def parse(cls, uri: str) -> S3Uri:
        parsed = urlparse(uri)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise ValueError(f"{uri} is not an s3://bucket/key URI")
        return cls(parsed.netloc, parsed.path.lstrip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def join(self, *parts: str) -> S3Uri:
        return S3Uri(self.bucket, "/".join([self.key.rstrip("/"), *(p.strip("/") for p in parts)]).lstrip("/"))


@dataclass(frozen=True)
class ObjectInfo:
    uri: S3Uri
    size: int
    etag: str


def relative_path(key: str, prefix: str) -> PurePosixPath | None:
    """Where an object under ``prefix`` lands below a folder (None for a folder marker)."""
    rest = key[len(prefix):].lstrip("/")
    if not rest or rest.endswith("/"):
        return None
    parts = rest.split("/")
    if "\x00" in rest or any(p in ("", ".", "..") for p in parts):
        raise UnsafeKey(f"object key {key!r} cannot be written below a local folder")
    return PurePosixPath(*parts)


#: ``authorize(caller, action, resources, context)``: returns, or raises AccessDenied.
Authorize = Callable[[Caller, str, list[str], Mapping[str, Any]], None]
#: ``missing(caller, bucket)``: the error instead of NoSuchKey for a key that is not there
#: (AccessDenied to a caller who may not list the bucket), or None.
Missing = Callable[[Caller, str], Exception | None]


def _allow(caller: Caller, action: str, resources: list[str], context: Mapping[str, Any]) -> None:
    return None


class S3Access:
    """Each call is authorized as its caller, on the actions and ARNs S3 checks for the
    request it stands for (GetObject, ListBucket with its ``s3:prefix``, PutObject)."""

    def __init__(self, objects: ObjectStore, authorize: Authorize = _allow, missing: Missing | None = None) -> None:
        self._objects = objects
        self._authorize = authorize
        self._missing = missing

    def _object(self, caller: Caller, action: str, where: S3Uri) -> None:
        self._authorize(caller, action, [f"arn:aws:s3:::{where.bucket}/{where.key}"], {})

    def _head(self, caller: Caller, where: S3Uri) -> StoredObject:
        self._object(caller, "s3:GetObject", where)
        try:
            return self._objects.head(where.bucket, where.key)
        except NoSuchKey:
            instead = self._missing(caller, where.bucket) if self._missing is not None else None
            if instead is None:
                raise
            raise instead from None

    def head(self, caller: Caller, uri: str) -> ObjectInfo:
        """The object's size and ETag; NoSuchBucket or NoSuchKey when it is not there."""
        where = S3Uri.parse(uri)
        record = self._head(caller, where)
        return ObjectInfo(where, record.size, record.etag)

    def download(self, caller: Caller, uri: str, dest: Path) -> ObjectInfo:
        """A writable local copy of one object (a reflink where the file system has them)."""
        where = S3Uri.parse(uri)
        record = self._head(caller, where)
        dest.parent.mkdir(parents=True, exist_ok=True)
        self._objects.blobs.copy_to(record.blob, dest)
        return ObjectInfo(where, record.size, record.etag)

    def materialise(self, caller: Caller, prefix_uri: str, dest: Path) -> int:
        """Every object under the prefix as a read-only file below ``dest`` (reflink or hard
        link, no bytes copied where possible), as SageMaker's File mode lays out a channel.
        Returns the count; NoSuchKey when nothing is there."""
        where = S3Uri.parse(prefix_uri)
        count = 0
        for _, record in self._scan(caller, where):
            rel = relative_path(record.key, where.key)
            if rel is None:
                continue
            self._object(caller, "s3:GetObject", S3Uri(where.bucket, record.key))
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._objects.blobs.clone_to(record.blob, target)
            count += 1
        if count == 0:
            raise NoSuchKey(f"No S3 objects found under S3 URL {prefix_uri}", fields={"Key": where.key})
        return count

    def download_tree(self, caller: Caller, prefix_uri: str, dest: Path) -> int:
        """Writable copies of every object under the prefix (checkpoints to resume from)."""
        where = S3Uri.parse(prefix_uri)
        count = 0
        for _, record in self._scan(caller, where):
            rel = relative_path(record.key, where.key)
            if rel is not None:
                self._object(caller, "s3:GetObject", S3Uri(where.bucket, record.key))
                target = dest.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                self._objects.blobs.copy_to(record.blob, target)
                count += 1
        return count

    def _scan(self, caller: Caller, where: S3Uri) -> Iterator[tuple[bytes, StoredObject]]:
        """The objects under a prefix, as ListObjectsV2 with that prefix lists them."""
        self._authorize(caller, "s3:ListBucket", [f"arn:aws:s3:::{where.bucket}"], {"s3:prefix": where.key})
        self._objects.bucket(where.bucket)
        prefix = where.key.encode("utf-8", errors="surrogatepass")
        return self._objects.catalog.scan(where.bucket, prefix, prefix)

    def upload_file(self, caller: Caller, src: Path, uri: str, content_type: str | None = None) -> ObjectInfo:
        """Store a local file as an object (shared by link where possible)."""
        where = S3Uri.parse(uri)
        self._object(caller, "s3:PutObject", where)
        kind = content_type or mimetypes.guess_type(src.name)[0] or "binary/octet-stream"
        record = self._objects.put_file(where.bucket, where.key, src, SystemMetadata(content_type=kind))
        return ObjectInfo(where, record.size, record.etag)

    def upload_tree(self, caller: Caller, src: Path, prefix_uri: str) -> int:
        """Every file below ``src`` under the prefix, keyed by its relative path."""
        where = S3Uri.parse(prefix_uri)
        count = 0
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            self.upload_file(caller, path, str(where.join(path.relative_to(src).as_posix())))
            count += 1
        return count


def s3_access(ctx: ServerContext) -> S3Access:
    """The S3 interface of this server (its ``s3`` backend must be registered)."""
    access = getattr(ctx.backends.get("s3"), "access", None)
    if not isinstance(access, S3Access):
        raise RuntimeError("the local server has no S3 backend registered")
    return access
