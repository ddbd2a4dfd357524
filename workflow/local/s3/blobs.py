"""The bytes of objects and parts: one file per blob, named by an opaque id, never by a key.

An upload is written to ``incoming/`` and renamed into ``blobs/`` once complete and
verified; only then does a record name it. A crash leaves at most a file no record names,
which ``sweep`` removes at the next start. Blobs are read-only (0444): a copy, a completed
upload or a training channel may share one by hard link, and nobody changes it in place.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from workflow.local.files import clone_file, reflink

_READ_ONLY = 0o444


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.incoming = self.root / "incoming"
        self.blobs = self.root / "blobs"
        self.incoming.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)
        self._folders: set[str] = set()

    def path(self, blob: str) -> Path:
        return self.blobs / blob[:2] / blob

    def temp_path(self) -> Path:
        return self.incoming / uuid.uuid4().hex

    @staticmethod
    def create(temp: Path) -> BinaryIO:
        """A temp file to write, created read-only (the open handle may still write), so
        ``commit`` needs no chmod."""
        return os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _READ_ONLY), "wb")

    def commit(self, temp: Path) -> str:
        """Move a finished, read-only temp file into place; returns its blob id."""
        blob = uuid.uuid4().hex
        target = self.path(blob)
        if blob[:2] not in self._folders:
            target.parent.mkdir(exist_ok=True)
            self._folders.add(blob[:2])
        os.rename(temp, target)
        return blob

    def adopt(self, src: Path) -> str:
        """A blob with ``src``'s bytes, shared (reflink or hard link) where possible."""
        temp = self.temp_path()
        clone_file(str(src), str(temp))
        os.chmod(temp, _READ_ONLY)
        return self.commit(temp)

    def share(self, blob: str) -> str:
        """A second blob with the same bytes (a copied object): a link, not a copy."""
        return self.adopt(self.path(blob))

    def clone_to(self, blob: str, dest: Path) -> None:
        """``dest`` gets the blob's bytes: reflink, else hard link, else copy."""
        clone_file(str(self.path(blob)), str(dest))

    def copy_to(self, blob: str, dest: Path) -> None:
        """``dest`` gets a writable copy (reflinked where the file system can)."""
        if not reflink(str(self.path(blob)), str(dest)):
            shutil.copyfile(self.path(blob), dest)
        os.chmod(dest, 0o644)

    def remove(self, blob: str) -> None:
        try:
            self.path(blob).unlink()
        except FileNotFoundError:
            pass

    def sweep(self, in_use: set[str]) -> int:
        """Remove what no record names: unfinished uploads and replaced blobs. Returns the count."""
        removed = 0
        for temp in self.incoming.iterdir():
            temp.unlink(missing_ok=True)
            removed += 1
        for folder in self.blobs.iterdir():
            for blob in folder.iterdir():
                if blob.name not in in_use:
                    blob.unlink(missing_ok=True)
                    removed += 1
        return removed
