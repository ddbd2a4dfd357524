"""Turns a model's ModelDataUrl and Environment into a model directory and a code directory.

The SageMaker inference containers unpack ``model.tar.gz`` into /opt/ml/model and
load the handler from its ``code/`` folder, or from the ``SAGEMAKER_SUBMIT_DIRECTORY``
tarball when the model names one. We do the same under the data directory, once per
model, and refuse archive members that would land outside the target.
"""
from __future__ import annotations

import shutil
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

DEFAULT_PROGRAM = "inference.py"
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


def local_path(uri: str) -> Path:
    """``file:///x`` or ``/x`` -> Path; other schemes are not reachable from this machine."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    if parsed.scheme == "" and uri.startswith("/"):
        return Path(uri)
    raise ArtifactError(
        f"Could not access model data at {uri}: the local server reads file:// URIs only"
    )


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


def _unpack(source: Path, target: Path) -> None:
    """A directory is used as it is (copied); a file must be a tar archive."""
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, partial)
    elif source.is_file():
        partial.mkdir(parents=True)
        safe_extract(source, partial)
    else:
        raise ArtifactError(f"Could not access model data at {source}: no such file")
    partial.rename(target)


def prepare(model: dict[str, Any], cache_dir: Path) -> ServingFiles:
    """Unpack a model (once, cached by its ARN and creation time) for its workers."""
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    env = container.get("Environment") or {}
    url = container.get("ModelDataUrl")
    stamp = model["CreationTime"].strftime("%Y%m%dT%H%M%S%f")
    root = cache_dir / f"{model['ModelName']}-{stamp}"
    model_dir = root / "model"
    with _lock:
        if not model_dir.exists():
            root.mkdir(parents=True, exist_ok=True)
            if url:
                _unpack(local_path(url), model_dir)
            else:
                model_dir.mkdir()
        code_dir = model_dir / "code"
        submit = env.get("SAGEMAKER_SUBMIT_DIRECTORY")
        if submit and (submit == CONTAINER_MODEL_DIR or submit.startswith(CONTAINER_MODEL_DIR + "/")):
            # A path inside the container, where model.tar.gz is unpacked: our model_dir.
            code_dir = model_dir / submit[len(CONTAINER_MODEL_DIR):].lstrip("/")
        elif submit:
            source = local_path(submit)
            if source.is_dir():
                code_dir = source
            else:
                code_dir = root / "submit"
                if not code_dir.exists():
                    _unpack(source, code_dir)
    program = env.get("SAGEMAKER_PROGRAM") or DEFAULT_PROGRAM
    if not (code_dir / program).is_file():
        raise ArtifactError(
            f"The inference program {program} was not found in {code_dir} "
            "(set SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY or ship code/ in model.tar.gz)"
        )
    return ServingFiles(model_dir=model_dir, code_dir=code_dir, program=program)
