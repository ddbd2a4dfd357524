"""``Content-Encoding: aws-chunked``: S3 uploads framed in chunks, checksums in trailers.

Each chunk is ``<hex size>[;chunk-signature=...]\\r\\n<data>\\r\\n``; a zero-size chunk
ends the data and trailer lines (``x-amz-checksum-crc32:<base64>``) follow, then an empty
line: HTTP/1.1's chunked framing, which ``body.ChunkedReader`` reads. Framing per
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html and
.../sigv4-streaming-trailers.html. Chunk signatures are not checked here (signature
checks belong to request authentication); the trailing checksums are, by S3's backend.
"""
from __future__ import annotations

from typing import BinaryIO

from workflow.local.protocol.body import ChunkedReader
from workflow.local.s3.errors import IncompleteBody


class AwsChunkedReader(ChunkedReader):
    def __init__(self, raw: BinaryIO) -> None:
        super().__init__(raw, error=IncompleteBody)
