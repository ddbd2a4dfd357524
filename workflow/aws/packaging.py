"""Build the deployable artefacts: one zip per Lambda function and training_src's sourcedir.tar.gz.

Both are byte-for-byte reproducible (sorted entries, fixed timestamps and
owners), so their content hash names them in S3 and an unchanged tree gives
an unchanged template: re-deploying does nothing.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
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
#: The AWS SDK for Python comes in three packages released in lockstep. Lambda's runtime has its
#: own copy; a zip that bundles only some of them (aws-xray-sdk pulls in botocore) makes the
#: runtime's boto3 run on another botocore, so a function bundles all three or none.
SDK = ("boto3", "botocore", "s3transfer")
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


def _pip_install(requirements: Path, target: Path, *options: str) -> dict[str, str]:
    """pip-install ``requirements`` for the Lambda platform; returns what pip chose (name -> version)."""
    report = target.parent / f".{target.name}-pip-report.json"
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--disable-pip-version-check",
               "--target", str(target), "--report", str(report), *options, *PIP_PLATFORM, "-r", str(requirements)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise PackagingError(f"pip could not install {requirements} for the Lambda platform:\n"
                                 f"{result.stderr.strip()[-2000:]}")
        chosen = json.loads(report.read_text(encoding="utf-8"))["install"]
    finally:
        report.unlink(missing_ok=True)
    return {item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"] for item in chosen}


def check_sdk(packages: dict[str, str], requirements: Path) -> None:
    """Refuse a bundle holding part of the SDK (see ``SDK``)."""
    present = [name for name in SDK if name in packages]
    if present and len(present) != len(SDK):
        missing = ", ".join(name for name in SDK if name not in packages)
        raise PackagingError(
            f"{requirements} bundles {', '.join(f'{n} {packages[n]}' for n in present)} without {missing}: "
            "the Lambda runtime's copy would run on a different botocore. Require boto3 as well, so pip "
            "bundles a consistent SDK.")


def resolve_dependencies(requirements: Path, scratch: Path) -> dict[str, str]:
    """What ``install_dependencies`` would bundle (name -> version), resolved without installing."""
    return _pip_install(requirements, scratch / "resolved", "--dry-run", "--ignore-installed")


def install_dependencies(requirements: Path, target: Path) -> None:
    """pip-install ``requirements`` for the Lambda platform into ``target``; the SDK whole or not at all."""
    check_sdk(_pip_install(requirements, target), requirements)


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
