"""Multipart uploads: parts stored as blobs of their own, joined into one object on Complete.

Limits and errors: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html and
https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html. The
object's ETag is the MD5 of the parts' binary MD5s with ``-<parts>``; its checksum is
COMPOSITE (checksum of the parts' checksums) or FULL_OBJECT (CRCs combined).
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from typing import Any

from workflow.local.s3 import checksums, conditions
from workflow.local.s3.errors import (
    BadDigest,
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    InvalidPartOrder,
    InvalidRequest,
    NoSuchUpload,
)
from workflow.local.s3.ingest import ingest
from workflow.local.s3.names import check_key
from workflow.local.s3.objects import ObjectStore, now
from workflow.local.s3.records import Checksum, ChecksumType, Part, StoredObject, SystemMetadata, Upload
from workflow.local.streams import Payload

MIN_PART_BYTES = 5 << 20
MAX_PART_BYTES = 5 << 30
MAX_PARTS = 10000


@dataclass(frozen=True)
class PartRequest:
    """One ``<Part>`` of a CompleteMultipartUpload request."""

    number: int
    etag: str
    checksums: dict[str, str]


class Multipart:
    def __init__(self, objects: ObjectStore) -> None:
        self.objects = objects
        self.catalog = objects.catalog
        self.blobs = objects.blobs

    def create(self, bucket: str, key: str, *, system: SystemMetadata, metadata: dict[str, str],
               algorithm: str | None, kind: str | None) -> Upload:
        self.objects.bucket(bucket)
        check_key(key)
        checksum_type = ChecksumType(kind) if kind else None
        if algorithm and checksum_type is None:
            checksum_type = (ChecksumType.FULL_OBJECT if algorithm in checksums.FULL_OBJECT_ONLY
                             else ChecksumType.COMPOSITE)
        if checksum_type is not None and not algorithm:
            raise InvalidRequest("The x-amz-checksum-type header can only be used with the "
                                 "x-amz-checksum-algorithm header.")
        if checksum_type is ChecksumType.FULL_OBJECT and not checksums.can_combine(str(algorithm)):
            raise InvalidRequest(f"The FULL_OBJECT checksum type cannot be used with the {algorithm} algorithm.")
        if checksum_type is ChecksumType.COMPOSITE and algorithm in checksums.FULL_OBJECT_ONLY:
            raise InvalidRequest(f"The COMPOSITE checksum type cannot be used with the {algorithm} algorithm.")
        upload = Upload(uuid.uuid4().hex, bucket, key, now(), self.objects.owner, system, metadata,
                        algorithm, checksum_type)
        self.catalog.add_upload(upload)
        return upload

    def upload(self, bucket: str, key: str, upload_id: str) -> Upload:
        self.objects.bucket(bucket)
        found = self.catalog.upload(upload_id)
        if found is None or found.bucket != bucket or found.key != key:
            raise NoSuchUpload("The specified upload does not exist. The upload ID may be invalid, "
                               "or the upload may have been aborted or completed.",
                               fields={"UploadId": upload_id})
        return found

    def upload_part(self, bucket: str, key: str, upload_id: str, number: int, payload: Payload,
                    params: dict[str, Any]) -> tuple[Part, dict[str, str]]:
        if not 1 <= number <= MAX_PARTS:
            raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive",
                                  fields={"ArgumentName": "partNumber", "ArgumentValue": str(number)})
        upload = self.upload(bucket, key, upload_id)
        # The part's checksum in the algorithm the object's checksum is made of (_object_checksum).
        also = (upload.checksum_algorithm or checksums.DEFAULT_ALGORITHM,)
        result = ingest(payload, self.blobs.temp_path(), params, also=also, max_size=MAX_PART_BYTES)
        part = Part(upload_id, number, result.size, f'"{result.md5_hex}"', now(),
                    self.blobs.commit(result.temp), result.checksums)
        replaced = self.catalog.put_part(part)
        if replaced is part:  # aborted or completed while the part arrived
            self.blobs.remove(part.blob)
            raise NoSuchUpload("The specified upload does not exist.", fields={"UploadId": upload_id})
        if replaced is not None:
            self.blobs.remove(replaced.blob)
        return part, result.checksums

    def list_parts(self, bucket: str, key: str, upload_id: str, after: int,
                   limit: int) -> tuple[Upload, list[Part], bool]:
        upload = self.upload(bucket, key, upload_id)
        parts = self.catalog.parts(upload_id, after, limit + 1)
        return upload, parts[:limit], len(parts) > limit

    def abort(self, bucket: str, key: str, upload_id: str) -> None:
        self.upload(bucket, key, upload_id)
        finished = self.catalog.finish_upload(upload_id, None)
        for part in finished[0] if finished else []:
            self.blobs.remove(part.blob)

    def complete(self, bucket: str, key: str, upload_id: str, requested: list[PartRequest],
                 params: dict[str, Any]) -> StoredObject:
        upload = self.upload(bucket, key, upload_id)
        if not requested:
            raise InvalidRequest("You must specify at least one part")
        numbers = [p.number for p in requested]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise InvalidPartOrder("The list of parts was not in ascending order. Parts must be "
                                   "ordered by part number.", fields={"UploadId": upload_id})
        stored = {p.number: p for p in self.catalog.parts(upload_id)}
        chosen = _chosen_parts(upload, requested, stored)
        record = self._join(upload, chosen, params)
        try:
            finished = self.catalog.finish_upload(
                upload_id, record, lambda existing: conditions.check_write(existing, params, key))
        except BaseException:
            self.blobs.remove(record.blob)
            raise
        if finished is None:
            self.blobs.remove(record.blob)
            raise NoSuchUpload("The specified upload does not exist.", fields={"UploadId": upload_id})
        parts, replaced = finished
        for part in parts:
            self.blobs.remove(part.blob)
        if replaced is not None:
            self.blobs.remove(replaced.blob)
        return record

    def _join(self, upload: Upload, parts: list[Part], params: dict[str, Any]) -> StoredObject:
        """One blob of the parts' bytes, in order (copied in the kernel, not through Python)."""
        temp = self.blobs.temp_path()
        try:
            with self.blobs.create(temp) as out:
                for part in parts:
                    with open(self.blobs.path(part.blob), "rb") as source:
                        left = part.size
                        while left:
                            left -= os.copy_file_range(source.fileno(), out.fileno(), left)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        etag = hashlib.md5(b"".join(bytes.fromhex(p.etag.strip('"')) for p in parts))  # noqa: S324
        try:
            checksum = _object_checksum(upload, parts, params)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return StoredObject(
            bucket=upload.bucket, key=upload.key, size=sum(p.size for p in parts),
            etag=f'"{etag.hexdigest()}-{len(parts)}"', last_modified=now(), blob=self.blobs.commit(temp),
            system=upload.system, metadata=upload.metadata, checksum=checksum, parts_count=len(parts))


def _chosen_parts(upload: Upload, requested: list[PartRequest], stored: dict[int, Part]) -> list[Part]:
    chosen = []
    for index, wanted in enumerate(requested):
        part = stored.get(wanted.number)
        if part is None or part.etag.strip('"') != wanted.etag.strip('"'):
            raise InvalidPart("One or more of the specified parts could not be found. The part may not "
                              "have been uploaded, or the specified entity tag may not match the part's "
                              "entity tag.", fields={"UploadId": upload.upload_id,
                                                     "PartNumber": str(wanted.number), "ETag": wanted.etag})
        algorithm = upload.checksum_algorithm
        if algorithm and upload.checksum_type is ChecksumType.COMPOSITE:
            given = wanted.checksums.get(algorithm)
            if given is None:
                raise InvalidRequest(f"The upload was created using a {algorithm.lower()} checksum. The "
                                     "complete request must include the checksum for each part. It was "
                                     f"missing for part {wanted.number} in the request.")
            if given != part.checksums.get(algorithm):
                raise InvalidPart(f"The {algorithm} you specified for part {wanted.number} does not match "
                                  "the part's checksum.", fields={"PartNumber": str(wanted.number)})
        if index < len(requested) - 1 and part.size < MIN_PART_BYTES:
            raise EntityTooSmall("Your proposed upload is smaller than the minimum allowed size",
                                 fields={"ProposedSize": str(part.size), "MinSizeAllowed": str(MIN_PART_BYTES),
                                         "PartNumber": str(wanted.number), "ETag": part.etag.strip('"')})
        chosen.append(part)
    return chosen


def _object_checksum(upload: Upload, parts: list[Part], params: dict[str, Any]) -> Checksum:
    algorithm = upload.checksum_algorithm or checksums.DEFAULT_ALGORITHM
    if upload.checksum_type is ChecksumType.COMPOSITE:
        value = checksums.composite(algorithm, [p.checksums[algorithm] for p in parts])
        kind = ChecksumType.COMPOSITE
    else:
        value = checksums.combine(algorithm, [(p.checksums[algorithm], p.size) for p in parts])
        kind = ChecksumType.FULL_OBJECT
    given = params.get(checksums.member(algorithm))
    if given is not None and kind is ChecksumType.FULL_OBJECT and given != value:
        raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
    return Checksum(algorithm, value, kind)
