"""Function code: zip archives in, extracted task roots on disk out."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import uuid
import zipfile
from pathlib import Path

from workflow.local.errors import ClientError

#: AWS's limit on the unzipped size of a function's code.
MAX_UNZIPPED_BYTES = 262_144_000


class InvalidParameterValueException(ClientError):
    pass


def code_sha256(data: bytes) -> str:
    """The CodeSha256 AWS reports: base64 of the archive's SHA-256."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def extract_zip(data: bytes, destination: Path) -> int:
    """Extract a function archive; refuses members that would land outside ``destination``.

    Returns the unzipped size. ``destination`` (named after the archive's digest)
    is written atomically: it appears complete or not at all.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from exc
    total = sum(m.file_size for m in members)
    if total > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
        )
    destination = Path(destination)
    staging = destination.with_name(f"{destination.name}.partial-{uuid.uuid4().hex}")
    staging.mkdir(parents=True)
    root = staging.resolve()
    try:
        for member in members:
            target = (root / member.filename).resolve()
            if os.path.isabs(member.filename) or not target.is_relative_to(root):
                raise InvalidParameterValueException(
                    f"Could not unzip uploaded file: entry {member.filename!r} points outside "
                    "the function's directory"
                )
            if (member.external_attr >> 16) & 0o170000 == 0o120000:
                raise InvalidParameterValueException(
                    f"Could not unzip uploaded file: entry {member.filename!r} is a symbolic link"
                )
            archive.extract(member, root)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        staging.replace(destination)
    except OSError:
        # Another request extracted the same archive first; theirs is as good as ours.
        shutil.rmtree(staging, ignore_errors=True)
        if not destination.is_dir():
            raise
    return total


def zip_directory(directory: Path | str) -> bytes:
    """A deployment package of ``directory`` (for CreateFunction's ``Code.ZipFile``)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory} is not a directory")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if "__pycache__" in path.parts or not path.is_file():
                continue
            archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()
