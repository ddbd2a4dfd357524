"""Model archives: extraction with path-traversal protection, code lookup like the toolkit."""
from __future__ import annotations

import io
import tarfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from workflow.local.sagemaker.hosting.artifacts import ArtifactError, local_path, prepare, safe_extract


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
    files = prepare(_model(archive.as_uri()), tmp_path / "cache")
    assert (files.model_dir / "weights.bin").read_bytes() == b"w"
    assert files.code_dir == files.model_dir / "code"
    assert files.program == "inference.py"
    # Prepared once: a second call reuses the extracted directory.
    (files.model_dir / "marker").write_text("kept")
    assert (prepare(_model(archive.as_uri()), tmp_path / "cache").model_dir / "marker").exists()


def test_submit_directory_tarball_and_program_override(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w"})
    source = _tar(tmp_path / "sourcedir.tar.gz", {"serve.py": b"x = 1\n"})
    env = {"SAGEMAKER_SUBMIT_DIRECTORY": source.as_uri(), "SAGEMAKER_PROGRAM": "serve.py"}
    files = prepare(_model(archive.as_uri(), env), tmp_path / "cache")
    assert (files.code_dir / "serve.py").is_file()
    assert files.program == "serve.py"


def test_submit_directory_inside_the_container_means_the_model_archive(tmp_path: Path) -> None:
    # The PyTorch inference container unpacks model.tar.gz at /opt/ml/model.
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w", "code/inference.py": b"x = 1\n"})
    env = {"SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", "SAGEMAKER_PROGRAM": "inference.py"}
    files = prepare(_model(archive.as_uri(), env), tmp_path / "cache")
    assert files.code_dir == files.model_dir / "code"
    assert (files.code_dir / "inference.py").read_bytes() == b"x = 1\n"


def test_missing_program_is_named(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "model.tar.gz", {"weights.bin": b"w"})
    with pytest.raises(ArtifactError, match="inference.py was not found"):
        prepare(_model(archive.as_uri()), tmp_path / "cache")


def test_only_local_uris_are_reachable() -> None:
    assert local_path("file:///tmp/a%20b/model.tar.gz") == Path("/tmp/a b/model.tar.gz")
    assert local_path("/tmp/model.tar.gz") == Path("/tmp/model.tar.gz")
    with pytest.raises(ArtifactError, match="s3://bucket/model.tar.gz"):
        local_path("s3://bucket/model.tar.gz")
