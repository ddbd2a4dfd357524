"""Model archives: extraction with path-traversal protection, code lookup like the toolkit."""
from __future__ import annotations

import io
import shutil
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflow.local.sagemaker.hosting.artifacts import ArtifactError, prepare, safe_extract


def _tar(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return path


def _fetch(*files: Path):  # a hosting.artifacts.Fetch
    """Objects at s3://models/<file name>, for the unit under test to download."""
    objects = {f"s3://models/{f.name}": f for f in files}
    fetched = []

    def fetch(url: str, dest: Path) -> None:
        if url not in objects:
            raise FileNotFoundError(f"Could not access model data at {url}")
        fetched.append(url)
        shutil.copyfile(objects[url], dest)

    fetch.fetched = fetched  # type: ignore[attr-defined]
    return fetch


def _s3(path: Path) -> str:
    return f"s3://models/{path.name}"


def _model(url: str, env: dict[str, str] | None = None) -> dict:
    return {
        "ModelName": "m",
        "CreationTime": datetime(2024, 1, 1, tzinfo=timezone.utc),
        "PrimaryContainer": {"Image": "img", "ModelDataUrl": url, "Environment": env or {}},
    }


@pytest.mark.parametrize("member", ["../evil.txt", "/abs/evil.txt", "code/../../evil.txt"])
def test_members_outside_the_target_are_refused(tmp_path: Path, member: str) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {"ok.txt": b"1", member: b"x"})
    with pytest.raises(ArtifactError, match="Refused to extract"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()


def test_a_link_pointing_outside_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {}, links={"code/escape": "/etc/passwd"})
    with pytest.raises(ArtifactError, match="escape"):
        safe_extract(archive, tmp_path / "out")


def test_a_corrupt_archive_names_the_file(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"not a tar file")
    with pytest.raises(ArtifactError, match="model.tar.gz"):
        safe_extract(archive, tmp_path / "out")


def test_code_comes_from_the_archive_code_folder(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w", "code/inference.py": b"x = 1\n"})
    fetch = _fetch(archive)
    files = prepare(_model(_s3(archive)), tmp_path / "cache", fetch)
    assert (files.model_dir / "weights.bin").read_bytes() == b"w"
    assert files.code_dir == files.model_dir / "code"
    assert files.program == "inference.py"
    # Prepared once: a second call reuses the extracted directory, downloading nothing.
    (files.model_dir / "marker").write_text("kept")
    assert (prepare(_model(_s3(archive)), tmp_path / "cache", fetch).model_dir / "marker").exists()
    assert fetch.fetched == [_s3(archive)]
    assert not list((tmp_path / "cache").rglob("*.tar.gz"))  # the download is not kept


def test_submit_directory_tarball_and_program_override(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w"})
    source = _tar(tmp_path / "sourcedir.tar.gz", {"serve.py": b"x = 1\n"})
    env = {"SAGEMAKER_SUBMIT_DIRECTORY": _s3(source), "SAGEMAKER_PROGRAM": "serve.py"}
    files = prepare(_model(_s3(archive), env), tmp_path / "cache", _fetch(archive, source))
    assert (files.code_dir / "serve.py").is_file()
    assert files.program == "serve.py"


def test_submit_directory_inside_the_container_means_the_model_archive(tmp_path: Path) -> None:
    # The PyTorch inference container unpacks model.tar.gz at /opt/ml/model.
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w", "code/inference.py": b"x = 1\n"})
    env = {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", "SAGEMAKER_PROGRAM": "inference.py"}
    files = prepare(_model(_s3(archive), env), tmp_path / "cache", _fetch(archive))
    assert files.code_dir == files.model_dir / "code"
    assert (files.code_dir / "inference.py").read_bytes() == b"x = 1\n"


def test_missing_program_is_named(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w"})
    with pytest.raises(ArtifactError, match="inference.py was not found"):
        prepare(_model(_s3(archive)), tmp_path / "cache", _fetch(archive))


def test_model_data_that_cannot_be_read_is_the_failure_reason(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="s3://models/missing.tar.gz"):
        prepare(_model("s3://models/missing.tar.gz"), tmp_path / "cache", _fetch())
