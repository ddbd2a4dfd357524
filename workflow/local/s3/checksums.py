"""The integrity checksums S3 accepts, computed with botocore's own checksum classes
(``awscrt`` for the CRCs and xxHash), and how S3 combines them over a multipart upload.

Whole-object checksums: https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html
A multipart object's checksum is either COMPOSITE (the checksum of the parts' checksums,
``-N`` appended) or FULL_OBJECT (the CRC of all the bytes, combined from the parts' CRCs).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from awscrt import checksums as crt
from botocore import httpchecksum

#: S3's algorithm name -> the request/response member suffix is the same name
#: (``ChecksumCRC32``), the header ``x-amz-checksum-crc32``.
_CLASSES: dict[str, Callable[[], Any]] = {
    "CRC32": httpchecksum.CrtCrc32Checksum,
    "CRC32C": httpchecksum.CrtCrc32cChecksum,
    "CRC64NVME": httpchecksum.CrtCrc64NvmeChecksum,
    "SHA1": httpchecksum.Sha1Checksum,
    "SHA256": httpchecksum.Sha256Checksum,
    "SHA512": httpchecksum.Sha512Checksum,
    "XXHASH64": httpchecksum.CrtXxhash64Checksum,
    "XXHASH3": httpchecksum.CrtXxhash3Checksum,
    "XXHASH128": httpchecksum.CrtXxhash128Checksum,
}
ALGORITHMS = (*_CLASSES, "MD5")
#: What S3 adds to an object uploaded with no checksum of the client's.
DEFAULT_ALGORITHM = "CRC64NVME"
#: The CRCs S3 can combine into a full-object checksum of a multipart upload.
_COMBINE = {"CRC32": (crt.combine_crc32, 4), "CRC32C": (crt.combine_crc32c, 4),
            "CRC64NVME": (crt.combine_crc64nvme, 8)}
FULL_OBJECT_ONLY = ("CRC64NVME",)


class _Md5:
    def __init__(self) -> None:
        self._hash = hashlib.md5()  # noqa: S324 - S3's integrity checksum, not security

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.digest()


def member(algorithm: str) -> str:
    """``CRC32`` -> ``ChecksumCRC32`` (the request and response member)."""
    return f"Checksum{algorithm}"


class _ReadOnlyInput:
    """awscrt's xxHash takes read-only buffers only: hand it bytes."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def update(self, data: bytes | memoryview) -> None:
        self._inner.update(bytes(data))

    def digest(self) -> bytes:
        return self._inner.digest()


def new(algorithm: str) -> Any:
    """A running checksum with ``update(bytes-like)`` and ``digest() -> bytes``."""
    if algorithm == "MD5":
        return _Md5()
    running = _CLASSES[algorithm]()
    return _ReadOnlyInput(running) if algorithm.startswith("XXHASH") else running


def encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def decode(value: str) -> bytes | None:
    """The raw bytes of a base64 checksum, None when it is not base64."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def of_bytes(algorithm: str, data: bytes) -> str:
    running = new(algorithm)
    running.update(data)
    return encode(running.digest())


def can_combine(algorithm: str) -> bool:
    return algorithm in _COMBINE


def combine(algorithm: str, parts: Iterable[tuple[str, int]]) -> str:
    """The full-object CRC of consecutive parts, from each part's (base64 CRC, size)."""
    function, width = _COMBINE[algorithm]
    total: int | None = None
    for value, size in parts:
        crc = int.from_bytes(base64.b64decode(value), "big")
        total = crc if total is None else function(total, crc, size)
    return encode((total or 0).to_bytes(width, "big"))


def composite(algorithm: str, part_values: list[str]) -> str:
    """The checksum of the parts' checksums, with ``-N`` (S3's COMPOSITE type)."""
    running = new(algorithm)
    for value in part_values:
        running.update(base64.b64decode(value))
    return f"{encode(running.digest())}-{len(part_values)}"
