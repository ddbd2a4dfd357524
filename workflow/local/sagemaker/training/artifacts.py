"""What a finished job leaves behind: model and output archives, and why it failed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from workflow.local.sagemaker.records import ModelArtifacts
from workflow.local.sagemaker.training.archives import write_tar_gz
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.storage import JobStorage
from workflow.local.sagemaker.training.uris import join_uri

FAILURE_LIMIT = 1024
LOG_TAIL_LINES = 12


def job_output_uri(request: dict[str, Any], job_name: str, *parts: str) -> str:
    """``<S3OutputPath>/<job>/...``."""
    return join_uri(request["OutputDataConfig"]["S3OutputPath"], job_name, *parts)


def upload(paths: JobPaths, request: dict[str, Any], job_name: str, storage: JobStorage) -> ModelArtifacts:
    """Pack model/ and output/data/ as SageMaker does; returns where the model now is."""
    model_uri = job_output_uri(request, job_name, "output", "model.tar.gz")
    # Stored, not deflated: weights shrink by under 10% and deflating a ResNet takes seconds.
    archive = paths.root / "model.tar.gz"
    write_tar_gz(paths.model, archive, level=0)
    storage.put_file(archive, model_uri)
    if paths.output_data.is_dir() and any(paths.output_data.iterdir()):
        archive = paths.root / "output.tar.gz"
        write_tar_gz(paths.output_data, archive)
        storage.put_file(archive, job_output_uri(request, job_name, "output", "output.tar.gz"))
    return ModelArtifacts(S3ModelArtifacts=model_uri)


def publish_folder(src: Path, request: dict[str, Any], job_name: str, name: str, storage: JobStorage,
                   base_uri: str | None = None) -> str | None:
    """Publish a finished job folder (rule-output, debug-output) under the job's output URI.

    Shared by link where the disk allows: the job writes these folders no more, and
    Debugger tensors of a full training run are hundreds of megabytes.
    """
    if not src.is_dir() or not any(src.iterdir()):
        return None
    uri = join_uri(base_uri, job_name, name) if base_uri else job_output_uri(request, job_name, name)
    storage.put_tree(src, uri)
    return uri


def log_tail(paths: JobPaths, lines: int = LOG_TAIL_LINES) -> str:
    if not paths.log.exists():
        return ""
    with paths.log.open("rb") as log:
        log.seek(0, 2)
        log.seek(max(0, log.tell() - 16384))
        text = log.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-lines:])


def failure_reason(paths: JobPaths, code: int, command: list[str]) -> str:
    """The script's own reason from output/failure, else the exit code and the log's tail."""
    if paths.failure.is_file():
        written = paths.failure.read_text(errors="replace").strip()
        if written:
            return f"AlgorithmError: {written}"[:FAILURE_LIMIT]
    what = f"killed by signal {-code}" if code < 0 else f"ExitCode {code}"
    tail = log_tail(paths)
    message = (f"AlgorithmError: ExecuteUserScriptError:\n{what}\n"
               f"Command \"{' '.join(command[1:])}\"\nErrorMessage \"")
    room = FAILURE_LIMIT - len(message) - 1
    return message + (tail[-room:] if room > 0 else "") + "\""
