"""Lambda zips and sourcedir.tar.gz: the right layout, importable handlers, reproducible bytes."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from workflow.aws import packaging


def test_lambda_zip_holds_the_function_and_shared_at_its_root(tmp_path: Path) -> None:
    artifact = packaging.lambda_zip("smoke_test", tmp_path, with_dependencies=False)
    names = zipfile.ZipFile(artifact.path).namelist()
    assert "smoke_test/app.py" in names and "smoke_test/checks.py" in names
    assert "shared/storage.py" in names and "shared/__init__.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith(("stage_data/", "invoke_endpoint/"))]
    assert artifact.key("dogs") == f"dogs/code/smoke_test-{artifact.sha256[:16]}.zip"


def test_the_handler_imports_from_the_zip_alone(tmp_path: Path) -> None:
    artifact = packaging.lambda_zip("invoke_endpoint", tmp_path, with_dependencies=False)
    # A fresh interpreter whose only route to the handler is the zip (Powertools comes from the venv,
    # as the zip's installed dependencies would provide it on Lambda).
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import invoke_endpoint.app as m; "
            "assert callable(m.handler); print(m.__file__)")
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1",
           "ENDPOINT_NAME": "x"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([sys.executable, "-c", code, str(artifact.path)], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert str(artifact.path) in result.stdout


def test_lambda_zip_is_reproducible_and_ignores_timestamps(tmp_path: Path) -> None:
    first = packaging.lambda_zip("stage_data", tmp_path / "a", with_dependencies=False)
    source = packaging.LAMBDAS_DIR / "stage_data" / "app.py"
    stat = source.stat()
    os.utime(source, (stat.st_atime, stat.st_mtime + 3600))
    try:
        second = packaging.lambda_zip("stage_data", tmp_path / "b", with_dependencies=False)
    finally:
        os.utime(source, (stat.st_atime, stat.st_mtime))
    assert first.sha256 == second.sha256
    assert first.path.read_bytes() == second.path.read_bytes()


def test_sourcedir_has_train_py_at_its_root_and_is_reproducible(tmp_path: Path) -> None:
    first = packaging.sourcedir_tarball(tmp_path / "a")
    second = packaging.sourcedir_tarball(tmp_path / "b")
    assert first.path.read_bytes() == second.path.read_bytes()
    with tarfile.open(first.path) as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert "train.py" in names and "inference.py" in names
    assert names == sorted(names)
    assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or n.startswith("/")]


def test_sourcedir_changes_when_the_code_changes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text("print('a')\n")
    first = packaging.sourcedir_tarball(tmp_path / "a", source)
    (source / "train.py").write_text("print('b')\n")
    second = packaging.sourcedir_tarball(tmp_path / "b", source)
    assert first.sha256 != second.sha256


def test_sourcedir_without_train_py_is_refused(tmp_path: Path) -> None:
    with pytest.raises(packaging.PackagingError, match="train.py"):
        packaging.sourcedir_tarball(tmp_path / "out", tmp_path)


def test_unknown_function_is_refused(tmp_path: Path) -> None:
    with pytest.raises(packaging.PackagingError, match="no Lambda function"):
        packaging.lambda_zip("nope", tmp_path, with_dependencies=False)


def test_dependency_install_failure_names_the_requirements_file(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"{(tmp_path / 'missing-1.0-py3-none-any.whl').as_uri()}\n")
    with pytest.raises(packaging.PackagingError, match="requirements.txt"):
        packaging.install_dependencies(requirements, tmp_path / "target")



def test_a_partial_sdk_is_refused_naming_what_is_missing(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    with pytest.raises(packaging.PackagingError, match="botocore 1.40.1 without boto3, s3transfer"):
        packaging.check_sdk({"aws-xray-sdk": "2.15.0", "botocore": "1.40.1"}, requirements)
    packaging.check_sdk({"pillow": "12.0"}, requirements)
    packaging.check_sdk({"boto3": "1.40.1", "botocore": "1.40.1", "s3transfer": "0.14.0"}, requirements)
