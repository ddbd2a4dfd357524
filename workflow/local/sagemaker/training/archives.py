"""Reading and writing the tar.gz archives of a job (source directory, model, output)."""
from __future__ import annotations

import tarfile
from pathlib import Path

from workflow.local.errors import ValidationException


def extract_tar(archive: Path, dest: Path, field: str) -> None:
    """Extract ``archive`` under ``dest``; members that escape it are refused.

    The standard library's ``data`` filter (PEP 706) rejects absolute names,
    ``..`` components, links pointing outside and device files, so no hand-written
    path check is needed.
    """
    dest.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(dest, filter="data")
    except tarfile.FilterError as err:
        raise ValidationException(
            f"{field}: archive {archive} has an unsafe member "
            f"{getattr(getattr(err, 'tarinfo', None), 'name', '?')!r} "
            f"({err.__class__.__name__}); nothing was extracted outside the job directory"
        ) from err
    except (tarfile.TarError, OSError) as err:
        raise ValidationException(f"{field}: cannot read archive {archive}: {err}") from err


def write_tar_gz(src: Path, archive: Path, level: int = 1) -> None:
    """Pack the contents of ``src`` (not the folder itself) into ``archive``, as SageMaker does."""
    archive.parent.mkdir(parents=True, exist_ok=True)
    tmp = archive.with_name(archive.name + ".part")
    with tarfile.open(tmp, "w:gz", compresslevel=level) as tar:
        if src.is_dir():
            for child in sorted(src.iterdir()):
                tar.add(child, arcname=child.name)
    tmp.replace(archive)
