"""An object's bytes on their way out: sent from the blob file with ``sendfile`` (no copy
through Python), or read like a file by another local service.

The file is opened when the answer is made, so an overwrite or delete that lands while it
is sent does not change what is sent (the old blob stays readable until closed).
"""
from __future__ import annotations

import io
import os
import socket
from pathlib import Path


class ObjectBody(io.RawIOBase):
    def __init__(self, path: Path, offset: int, length: int) -> None:
        self._file = open(path, "rb")  # closed by close(), after sending
        self._offset = offset
        self._left = length
        self.length = length

    def readable(self) -> bool:
        return True

    def send(self, sock: socket.socket) -> None:
        if self._left:
            sock.sendfile(self._file, self._offset, self._left)
        self._left = 0

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._left)
        if want <= 0:
            return 0
        got = os.preadv(self._file.fileno(), [memoryview(buffer)[:want]], self._offset)
        self._offset += got
        self._left -= got
        return got

    def close(self) -> None:
        self._file.close()
        super().close()
