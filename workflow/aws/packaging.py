"""Build the deployable artefacts: one zip per Lambda function and training_src's sourcedir.tar.gz.

Both are byte-for-byte reproducible (sorted entries, fixed timestamps and
owners), so their content hash names them in S3 and an unchanged tree gives
an unchanged template: re-deploying does nothing.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from workflow.definition import ROOT

LAMBDAS_DIR = ROOT / "lambdas"
TRAINING_SRC = ROOT / "training_src"
SHARED = "shared"
#: Lambda runs Amazon Linux on x86_64; pip picks wheels for that platform, never building from source.
PIP_PLATFORM = ("--platform", "manylinux2014_x86_64", "--implementation", "cp",
                "--python-version", "3.12", "--only-binary=:all:")
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIP_DIRS = {"__pycache__", ".pytest_cache"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}


class PackagingError(RuntimeError):
    pass


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256: str

    def key(self, prefix: str) -> str:
        """Content-addressed S3 key under ``<prefix>/code/``."""
        stem, dot, ext = self.path.name.partition(".")
        return f"{prefix}/code/{stem}-{self.sha256[:16]}{dot}{ext}"


def _files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _SKIP_DIRS for part in rel.parts) or path.suffix in _SKIP_SUFFIXES:
            continue
        if path.is_file():
            out.append(path)
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def install_dependencies(requirements: Path, target: Path) -> None:
    """pip-install ``requirements`` for the Lambda platform into ``target``."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
               "--target", str(target), *PIP_PLATFORM, "-r", str(requirements)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise PackagingError(f"pip could not install {requirements} for the Lambda platform:\n"
                             f"{result.stderr.strip()[-2000:]}")


def lambda_zip(name: str, build_dir: Path, *, with_dependencies: bool = True) -> Artifact:
    """``<name>/``, ``shared/`` and the function's dependencies at the zip root (handler ``<name>.app.handler``)."""
    source = LAMBDAS_DIR / name
    if not (source / "app.py").is_file():
        raise PackagingError(f"no Lambda function at {source} (expected app.py)")
    staging = build_dir / "lambda" / name
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if with_dependencies and (source / "requirements.txt").is_file():
        install_dependencies(source / "requirements.txt", staging)
    for package in (name, SHARED):
        shutil.copytree(LAMBDAS_DIR / package, staging / package,
                        ignore=shutil.ignore_patterns(*_SKIP_DIRS, "*.pyc", "*.pyo"))
    out = build_dir / f"{name}.zip"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in _files(staging):
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), date_time=_EPOCH)
            mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return Artifact(out, _digest(out))


def _reset(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
    return info


def sourcedir_tarball(build_dir: Path, source: Path = TRAINING_SRC, extra_requirements: tuple[str, ...] = ()
                      ) -> Artifact:
    """``training_src/`` as the ``sourcedir.tar.gz`` the SageMaker PyTorch container unpacks (train.py at its
    root); ``extra_requirements`` are added to its requirements.txt, which the container installs."""
    if not (source / "train.py").is_file():
        raise PackagingError(f"{source} has no train.py at its root")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in _files(source):
            arcname = path.relative_to(source).as_posix()
            if arcname == "requirements.txt" and extra_requirements:
                data = path.read_bytes().rstrip(b"\n") + b"\n" + "\n".join(extra_requirements).encode() + b"\n"
                info = _reset(tar.gettarinfo(str(path), arcname=arcname))
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            tar.add(path, arcname=arcname, recursive=False, filter=_reset)
    build_dir.mkdir(parents=True, exist_ok=True)
    out = build_dir / "sourcedir.tar.gz"
    with open(out, "wb") as handle:
        # mtime=0 and no file name in the gzip header: the same tree gives the same bytes.
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as gz:
            gz.write(raw.getvalue())
    return Artifact(out, _digest(out))


def build_all(build_dir: Path, functions: tuple[str, ...], *, with_dependencies: bool = True,
              training_requirements: tuple[str, ...] = ()) -> tuple[dict[str, Artifact], Artifact]:
    build_dir.mkdir(parents=True, exist_ok=True)
    zips = {name: lambda_zip(name, build_dir, with_dependencies=with_dependencies) for name in functions}
    return zips, sourcedir_tarball(build_dir, extra_requirements=training_requirements)
