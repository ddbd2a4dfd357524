"""An upload written to a temporary file as it arrives, its checksums computed on the way
and checked at the end against what the client declared: Content-MD5, x-amz-checksum-*
(headers or trailers) and a signed x-amz-content-sha256. Nothing is kept on a mismatch.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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

Updater = Callable[[memoryview], None]

CHUNK = 1 << 20
#: Bodies up to this size are hashed on the request's own thread: handing a chunk to another
#: thread costs more than it saves.
PARALLEL_FROM = 256 << 10
#: Hashing threads, shared by all uploads. hashlib and awscrt release the GIL on large
#: buffers, so an upload's digests run on other cores while its thread reads and writes.
_HASHING = ThreadPoolExecutor(max_workers=4, thread_name_prefix="s3-hash")


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
    # MD5 is the slowest (about 600 MB/s a core); the others together cost less than it.
    others: list[Updater] = [d.update for d in ([sha256] if sha256 else []) + list(running.values())]
    groups: tuple[list[Updater], ...] = ([md5.update], others)
    try:
        with BlobStore.create(temp) as out:
            size = _copy(payload, out, groups, max_size)
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


def _too_large(max_size: int) -> EntityTooLarge:
    return EntityTooLarge("Your proposed upload exceeds the maximum allowed size",
                          fields={"MaxSizeAllowed": str(max_size)})


def _copy(payload: Payload, out: BinaryIO, groups: tuple[list[Updater], ...], max_size: int) -> int:
    """Write ``payload`` to ``out``, each group of digests updated with every chunk, in order;
    returns the size. A large body is pipelined over two buffers: while the hashing threads
    digest one chunk (a thread per group), this thread writes it and reads the next."""
    length = payload.length
    if length is not None and length < PARALLEL_FROM:
        # One buffer the body's size (one byte more to see it end): no 1 MiB buffer to zero.
        buffer = memoryview(bytearray(length + 1))
        size = 0
        while got := payload.readinto(buffer):
            size += got
            if size > max_size:
                raise _too_large(max_size)
            for update in (u for group in groups for u in group):
                update(buffer[:got])
            out.write(buffer[:got])
        return size
    buffers = (memoryview(bytearray(CHUNK)), memoryview(bytearray(CHUNK)))
    hashing: list[Future[None]] = []
    size = index = 0
    try:
        while got := payload.readinto(buffers[index]):
            size += got
            if size > max_size:
                raise _too_large(max_size)
            chunk = buffers[index][:got]
            # The previous chunk's digests must be done before this one's start (each digest
            # sees its chunks in order), and before its buffer is read into again.
            for done in hashing:
                done.result()
            hashing = [_HASHING.submit(_update, group, chunk) for group in groups if group]
            out.write(chunk)
            index ^= 1
    finally:
        for done in hashing:
            done.result()
    return size


def _update(group: list[Updater], chunk: memoryview) -> None:
    for update in group:
        update(chunk)
