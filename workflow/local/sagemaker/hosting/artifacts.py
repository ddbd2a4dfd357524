"""Turns a model's ModelDataUrl and Environment into a model directory and a code directory.

The SageMaker inference containers unpack ``model.tar.gz`` into /opt/ml/model and
load the handler from its ``code/`` folder, or from the ``SAGEMAKER_SUBMIT_DIRECTORY``
tarball when the model names one (both downloaded from S3). We do the same under the
data directory, once per model, and refuse archive members that would land outside the target.
"""
from __future__ import annotations

import shutil
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workflow.local.sagemaker.hosting.records import ModelRecord

DEFAULT_PROGRAM = "inference.py"
#: ``fetch(url, dest)``: a local copy of the S3 object ``url``; FileNotFoundError when it cannot.
Fetch = Callable[[str, Path], None]
_lock = threading.Lock()


class ArtifactError(Exception):
    """The model data or code cannot be used; the message is the endpoint's FailureReason."""


#: Where the inference container unpacks model.tar.gz.
CONTAINER_MODEL_DIR = "/opt/ml/model"


@dataclass(frozen=True)
class ServingFiles:
    model_dir: Path
    code_dir: Path
    program: str


def _refuse_absolute(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    # The "data" filter would quietly make "/x" relative; an archive built that way
    # is not a model archive, so we refuse it rather than guess.
    if member.name.startswith("/"):
        raise tarfile.AbsolutePathError(member)
    return tarfile.data_filter(member, dest)


def safe_extract(archive: Path, target: Path) -> None:
    """Extract a tar archive, refusing absolute paths, '..', links out and device files.

    tarfile's "data" filter (PEP 706) performs these checks; we map its errors
    to one message that names the offending member.
    """
    try:
        with tarfile.open(archive, "r:*") as tar:
            tar.extractall(target, filter=_refuse_absolute)
    except tarfile.FilterError as e:
        raise ArtifactError(
            f"Refused to extract {archive.name}: member {e.tarinfo.name!r} would be "
            "written outside the model directory or is not a regular file"
        ) from e
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ArtifactError(f"Failed to extract model data archive {archive}: {e}") from e


def _unpack(url: str, target: Path, fetch: Fetch) -> None:
    """Download a tar archive the model names and extract it to ``target``."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    archive = target.with_name(target.name + ".tar.gz")
    try:
        fetch(url, archive)
    except FileNotFoundError as e:
        raise ArtifactError(str(e)) from None
    try:
        safe_extract(archive, partial)
    finally:
        archive.unlink(missing_ok=True)
    partial.rename(target)


def prepare(model: ModelRecord, cache_dir: Path, fetch: Fetch) -> ServingFiles:
    """Unpack a model (once, cached by its ARN and creation time) for its workers;
    ``fetch(url, dest)`` downloads what the model names from S3."""
    container = model["PrimaryContainer"]
    env = container.get("Environment") or {}
    url = container.get("ModelDataUrl")
    stamp = model["CreationTime"].strftime("%Y%m%dT%H%M%S%f")
    root = cache_dir / f"{model['ModelName']}-{stamp}"
    model_dir = root / "model"
    with _lock:
        if not model_dir.exists():
            root.mkdir(parents=True, exist_ok=True)
            if url:
                _unpack(url, model_dir, fetch)
            else:
                model_dir.mkdir()
        code_dir = model_dir / "code"
        submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY")
        if submit and (submit == CONTAINER_MODEL_DIR or submit.startswith(CONTAINER_MODEL_DIR + "/")):
            # A path inside the container, where model.tar.gz is unpacked: our model_dir.
            code_dir = model_dir / submit[len(CONTAINER_MODEL_DIR):].lstrip("/")
        elif submit:
            code_dir = root / "submit"
            if not code_dir.exists():
                _unpack(submit, code_dir, fetch)
    program = env.get("SAGEMAKER_PROGRAM") or DEFAULT_PROGRAM
    if not (code_dir / program).is_file():
        raise ArtifactError(
            f"The inference program {program} was not found in {code_dir} "
            "(set SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY or ship code/ in model.tar.gz)"
        )
    return ServingFiles(model_dir=model_dir, code_dir=code_dir, program=program)
