"""An upload written to a temporary file as it arrives, its checksums computed on the way
and checked at the end against what the client declared: Content-MD5, x-amz-checksum-*
(headers or trailers) and a signed x-amz-content-sha256. Nothing is kept on a mismatch.
"""
from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from workflow.local.s3 import checksums
from workflow.local.s3.blobs import BlobStore
from workflow.local.s3.errors import (
    BadDigest,
    EntityTooLarge,
    IncompleteBody,
    InvalidDigest,
    InvalidRequest,
    XAmzContentSHA256Mismatch,
)
from workflow.local.streams import Payload

CHUNK = 1 << 20
#: Chunks this large have their MD5 computed on a second thread.
PARALLEL_FROM = 256 << 10
_HASHING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="s3-md5")


@dataclass(frozen=True)
class Ingested:
    temp: Path
    size: int
    md5_hex: str
    #: algorithm -> base64 value, for each algorithm computed.
    checksums: dict[str, str]


def _declared(params: dict[str, object], payload: Payload) -> tuple[set[str], dict[str, str]]:
    """The algorithms to compute and the values given in headers, by algorithm."""
    given = {a: str(params[checksums.member(a)]) for a in checksums.ALGORITHMS
             if params.get(checksums.member(a))}
    if len(given) > 1:
        raise InvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
    wanted = set(given) | {m.removeprefix("Checksum") for m in payload.trailer_members}
    chosen = params.get("ChecksumAlgorithm")
    if chosen:
        wanted.add(str(chosen))
    return wanted & set(checksums.ALGORITHMS), given


def ingest(payload: Payload, temp: Path, params: dict[str, object], *, also: tuple[str, ...] = (),
           max_size: int) -> Ingested:
    """Write ``payload`` to ``temp`` and check it; ``also`` names algorithms to compute
    whatever the client sent (S3's default checksum, the upload's algorithm)."""
    md5_given = params.get("ContentMD5")
    if md5_given is not None:
        raw = checksums.decode(str(md5_given))
        if raw is None or len(raw) != 16:
            raise InvalidDigest("The Content-MD5 you specified was invalid.")
    wanted, given = _declared(params, payload)
    wanted |= set(also)
    running = {a: checksums.new(a) for a in wanted}
    md5 = hashlib.md5()  # noqa: S324 - S3's ETag, not security
    sha256 = hashlib.sha256() if payload.content_sha256 else None
    size = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    try:
        with BlobStore.create(temp) as out:
            while got := payload.readinto(view):
                chunk = view[:got]
                size += got
                if size > max_size:
                    raise EntityTooLarge("Your proposed upload exceeds the maximum allowed size",
                                         fields={"MaxSizeAllowed": str(max_size)})
                # MD5 (the ETag) is the slowest hash and releases the GIL: it runs on a
                # second core while this thread computes the others and writes.
                beside = _HASHING.submit(md5.update, chunk) if got >= PARALLEL_FROM else None
                if beside is None:
                    md5.update(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                for digest in running.values():
                    digest.update(chunk)
                out.write(chunk)
                if beside is not None:
                    beside.result()
        if payload.length is not None and size != payload.length:
            raise IncompleteBody("You did not provide the number of bytes specified by the "
                                 "Content-Length HTTP header.")
        if md5_given is not None and checksums.encode(md5.digest()) != md5_given:
            raise BadDigest("The Content-MD5 you specified did not match what we received.",
                            fields={"ExpectedDigest": str(md5_given)})
        if sha256 is not None and sha256.hexdigest() != payload.content_sha256:
            raise XAmzContentSHA256Mismatch(
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
                fields={"ClientComputedContentSHA256": payload.content_sha256,
                        "S3ComputedContentSHA256": sha256.hexdigest()})
        computed = {a: checksums.encode(d.digest()) for a, d in running.items()}
        trailing = {m.removeprefix("Checksum"): v for m, v in payload.trailing_checksums().items()}
        for algorithm, value in {**given, **trailing}.items():
            if computed.get(algorithm) != value:
                raise BadDigest(f"The {algorithm} you specified did not match the calculated checksum.")
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Ingested(temp, size, md5.hexdigest(), computed)
