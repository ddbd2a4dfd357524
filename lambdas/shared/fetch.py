"""Download a URI (http(s)://, s3://, file://) to a local file, with size and time limits."""
from __future__ import annotations

import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from shared import storage

CHUNK = 1 << 20


class FetchError(Exception):
    """The source could not be fetched; the message names the URI."""


def fetch(uri: str, dest: Path, *, max_bytes: int, timeout: float = 60.0) -> int:
    """Copy ``uri`` to ``dest``; returns the byte count. Refuses sources over ``max_bytes``."""
    kind = urlparse(uri).scheme
    try:
        if kind in ("http", "https"):
            return _fetch_http(uri, dest, max_bytes=max_bytes, timeout=timeout)
        if kind in ("s3", "file"):
            storage.download(uri, dest)
        else:
            raise FetchError(f"unsupported dataset URI scheme {kind!r} in {uri}: use https://, s3:// or file://")
    except FetchError:
        raise
    except Exception as err:  # any transport error becomes one clear message
        raise FetchError(f"cannot fetch {uri}: {err}") from err
    size = dest.stat().st_size
    if size > max_bytes:
        dest.unlink()
        raise FetchError(f"{uri} is {size} bytes, over the limit of {max_bytes}")
    return size


def _fetch_http(uri: str, dest: Path, *, max_bytes: int, timeout: float) -> int:
    dest.parent.mkdir(parents=True, exist_ok=True)
    total = 0
    with urllib.request.urlopen(uri, timeout=timeout) as response, dest.open("wb") as out:  # scheme checked above
        while chunk := response.read(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise FetchError(f"{uri} is over the limit of {max_bytes} bytes")
            out.write(chunk)
    return total
