"""Buckets and objects: the typed core of local S3 (no HTTP, no request dicts).

Every write goes to a temporary file, is checked, then renamed into place before its
record is stored; a replaced or deleted object's blob is removed after its record is.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from workflow.local.s3 import checksums, conditions, listing
from workflow.local.s3.blobs import BlobStore
from workflow.local.s3.body import ObjectBody
from workflow.local.s3.catalog import Catalog
from workflow.local.s3.errors import (
    BucketAlreadyOwnedByYou,
    BucketNotEmpty,
    IllegalLocationConstraintException,
    InvalidLocationConstraint,
    NoSuchBucket,
    NoSuchKey,
)
from workflow.local.s3.ingest import ingest
from workflow.local.s3.names import check_bucket_name, check_key
from workflow.local.s3.records import Bucket, Checksum, ChecksumType, StoredObject, SystemMetadata
from workflow.local.store import Store
from workflow.local.streams import Payload

#: The largest object one PutObject may upload (5 GiB).
MAX_PUT_BYTES = 5 << 30
#: us-east-1 answers 200 to CreateBucket of a bucket its caller owns (S3's legacy behaviour,
#: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html).
LEGACY_REGION = "us-east-1"


def now() -> datetime:
    # S3 keeps LastModified to the millisecond.
    when = datetime.now(timezone.utc)
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def owner_id(account_id: str) -> str:
    """The account's canonical user id (64 hex digits, as S3 shows owners)."""
    return hashlib.sha256(f"local-s3-owner:{account_id}".encode()).hexdigest()


@dataclass(frozen=True)
class Written:
    """What an upload stored, and the checksum values the client sent (echoed back)."""

    record: StoredObject
    computed: dict[str, str]


class ObjectStore:
    def __init__(self, store: Store, root: Path, owner: str) -> None:
        self.catalog = Catalog(store)
        self.blobs = BlobStore(root)
        self.owner = owner

    def sweep(self) -> int:
        """At start: remove the files a crash left that no record names."""
        return self.blobs.sweep(self.catalog.blobs_in_use())

    # -- buckets ------------------------------------------------------------------
    def create_bucket(self, name: str, request_region: str, location: str | None) -> Bucket:
        check_bucket_name(name)
        if location is not None and location == LEGACY_REGION == request_region:
            raise InvalidLocationConstraint("The specified location-constraint is not valid",
                                            fields={"LocationConstraint": location})
        if location is None and request_region != LEGACY_REGION:
            raise IllegalLocationConstraintException(
                "The unspecified location constraint is incompatible for the region specific "
                "endpoint this request was sent to.")
        if location is not None and location != request_region:
            raise IllegalLocationConstraintException(
                f"The {location} location constraint is incompatible for the region specific "
                "endpoint this request was sent to.")
        bucket = Bucket(name, location or LEGACY_REGION, now(), self.owner)
        if not self.catalog.add_bucket(bucket):
            existing = self.catalog.bucket(name)
            if existing is not None and existing.region == LEGACY_REGION == request_region:
                return existing
            raise BucketAlreadyOwnedByYou(
                "Your previous request to create the named bucket succeeded and you already own it.",
                fields={"BucketName": name})
        return bucket

    def bucket(self, name: str) -> Bucket:
        found = self.catalog.bucket(name)
        if found is None:
            raise NoSuchBucket("The specified bucket does not exist", fields={"BucketName": name})
        return found

    def delete_bucket(self, name: str) -> None:
        self.bucket(name)
        if not self.catalog.remove_bucket_if_empty(name):
            raise BucketNotEmpty("The bucket you tried to delete is not empty",
                                 fields={"BucketName": name})

    # -- objects ------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> StoredObject:
        self.bucket(bucket)
        found = self.catalog.object(bucket, key)
        if found is None:
            raise NoSuchKey("The specified key does not exist.", fields={"Key": key})
        return found

    def open(self, record: StoredObject, span: tuple[int, int] | None = None) -> ObjectBody:
        first, last = span if span is not None else (0, record.size - 1)
        return ObjectBody(self.blobs.path(record.blob), first, last - first + 1)

    def put(self, bucket: str, key: str, payload: Payload, params: dict[str, object], *,
            system: SystemMetadata, metadata: dict[str, str]) -> Written:
        """PutObject: ``params`` carries the request's checksum and condition members."""
        self.bucket(bucket)
        check_key(key)
        chosen = params.get("ChecksumAlgorithm")
        algorithm = _client_algorithm(params, payload) or (str(chosen) if chosen else None)
        # S3 adds its default checksum only to an object sent without one of the client's.
        algorithm = algorithm or checksums.DEFAULT_ALGORITHM
        result = ingest(payload, self.blobs.temp_path(), params, also=(algorithm,), max_size=MAX_PUT_BYTES)
        record = StoredObject(
            bucket=bucket, key=key, size=result.size, etag=f'"{result.md5_hex}"', last_modified=now(),
            blob="", system=system, metadata=metadata,
            checksum=Checksum(algorithm, result.checksums[algorithm], ChecksumType.FULL_OBJECT))
        record = replace(record, blob=self.blobs.commit(result.temp))
        try:
            self.store_record(record, lambda existing: conditions.check_write(existing, params, key))
        except BaseException:
            self.blobs.remove(record.blob)
            raise
        return Written(record, result.checksums)

    def store_record(self, record: StoredObject,
                     check: Callable[[StoredObject | None], None] | None = None) -> None:
        replaced = self.catalog.put_object(record, check)
        if replaced is not None and replaced.blob != record.blob:
            self.blobs.remove(replaced.blob)

    def put_file(self, bucket: str, key: str, source: Path, system: SystemMetadata) -> StoredObject:
        """Store a file already on this machine (another service's output), shared by link
        where the file system allows; its checksums are computed as for an upload."""
        self.bucket(bucket)
        check_key(key)
        blob = self.blobs.adopt(source)
        md5 = hashlib.md5()  # noqa: S324 - S3's ETag, not security
        crc = checksums.new(checksums.DEFAULT_ALGORITHM)
        size = 0
        with open(self.blobs.path(blob), "rb") as handle:
            while chunk := handle.read(1 << 20):
                md5.update(chunk)
                crc.update(chunk)
                size += len(chunk)
        record = StoredObject(bucket=bucket, key=key, size=size, etag=f'"{md5.hexdigest()}"',
                              last_modified=now(), blob=blob, system=system,
                              checksum=Checksum(checksums.DEFAULT_ALGORITHM, checksums.encode(crc.digest())))
        self.store_record(record)
        return record

    def copy(self, source: StoredObject, bucket: str, key: str, *, system: SystemMetadata | None,
             metadata: dict[str, str] | None) -> StoredObject:
        """CopyObject: the new object shares the source's blob by link, no bytes copied."""
        self.bucket(bucket)
        check_key(key)
        record = replace(source, bucket=bucket, key=key, last_modified=now(),
                         blob=self.blobs.share(source.blob),
                         system=system if system is not None else source.system,
                         metadata=metadata if metadata is not None else source.metadata)
        if source.parts_count:
            # A copy is one part: its ETag is its MD5, as for any single-part upload.
            md5 = hashlib.md5()  # noqa: S324
            with open(self.blobs.path(record.blob), "rb") as handle:
                while chunk := handle.read(1 << 20):
                    md5.update(chunk)
            record = replace(record, etag=f'"{md5.hexdigest()}"', parts_count=None)
        self.store_record(record)
        return record

    def delete(self, bucket: str, key: str) -> None:
        """DeleteObject: no error when the key is absent (as S3 answers)."""
        self.bucket(bucket)
        removed = self.catalog.remove_object(bucket, key)
        if removed is not None:
            self.blobs.remove(removed.blob)

    def list(self, bucket: str, *, prefix: str, delimiter: str | None, start: bytes,
             max_keys: int) -> listing.Page[StoredObject]:
        self.bucket(bucket)
        raw_prefix = prefix.encode("utf-8", errors="surrogatepass")

        def scan(lower: bytes) -> Iterator[tuple[bytes, StoredObject]]:
            return self.catalog.scan(bucket, lower, raw_prefix)

        return listing.list_page(scan, prefix=raw_prefix, delimiter=delimiter.encode() if delimiter else None,
                                 start=start, max_keys=max_keys)


def _client_algorithm(params: dict[str, object], payload: Payload) -> str | None:
    """The algorithm of the checksum the client sent (header or trailer), if any."""
    for algorithm in checksums.ALGORITHMS:
        if params.get(checksums.member(algorithm)) or checksums.member(algorithm) in payload.trailer_members:
            return algorithm
    return None
