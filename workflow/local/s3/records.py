"""What S3 keeps about buckets, objects and multipart uploads, as typed records.

``to_json`` copies fields by hand: ``dataclasses.asdict`` deep-copies every value, which
was a third of a small PutObject's time on the server.

The bytes of an object or a part live in a blob file (``blobs.BlobStore``) that the
record names by an opaque id: a key is never part of a path.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class ChecksumType(str, enum.Enum):
    FULL_OBJECT = "FULL_OBJECT"
    COMPOSITE = "COMPOSITE"


@dataclass(frozen=True)
class Bucket:
    name: str
    region: str
    created: datetime
    owner: str


@dataclass(frozen=True)
class SystemMetadata:
    """S3's system-defined metadata of an object that a client sets (content type and the
    other content headers), kept with it and sent back on GET and HEAD; ``metadata`` is
    the user's own (x-amz-meta-*)."""

    content_type: str = "binary/octet-stream"
    content_encoding: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    expires: str | None = None


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    value: str
    type: ChecksumType = ChecksumType.FULL_OBJECT


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    #: Quoted, as S3 sends it: ``"<md5 hex>"`` or ``"<md5 of part md5s>-<parts>"``.
    etag: str
    last_modified: datetime
    blob: str
    system: SystemMetadata = field(default_factory=SystemMetadata)
    metadata: dict[str, str] = field(default_factory=dict)
    checksum: Checksum | None = None
    parts_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        doc = dict(self.__dict__)
        doc["system"] = dict(self.system.__dict__)
        doc["checksum"] = dict(self.checksum.__dict__) if self.checksum is not None else None
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> StoredObject:
        checksum = doc.get("checksum")
        return cls(**{**doc, "system": SystemMetadata(**doc["system"]),
                      "checksum": Checksum(checksum["algorithm"], checksum["value"],
                                           ChecksumType(checksum["type"])) if checksum else None})


@dataclass(frozen=True)
class Upload:
    upload_id: str
    bucket: str
    key: str
    initiated: datetime
    owner: str
    system: SystemMetadata = field(default_factory=SystemMetadata)
    metadata: dict[str, str] = field(default_factory=dict)
    #: The algorithm the client chose at CreateMultipartUpload (None: S3's default).
    checksum_algorithm: str | None = None
    checksum_type: ChecksumType | None = None

    def to_json(self) -> dict[str, Any]:
        doc = dict(self.__dict__)
        doc["system"] = dict(self.system.__dict__)
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Upload:
        kind = doc.get("checksum_type")
        return cls(**{**doc, "system": SystemMetadata(**doc["system"]),
                      "checksum_type": ChecksumType(kind) if kind else None})


@dataclass(frozen=True)
class Part:
    upload_id: str
    number: int
    size: int
    etag: str
    last_modified: datetime
    blob: str
    #: algorithm -> base64 value: the client's algorithm and S3's default, for combining.
    checksums: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Part:
        return cls(**doc)
