"""Putting a job's inputs in place: config files, data channels, source code, checkpoints."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.training.archives import extract_tar
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.toolkit_env import decode_hyperparameters, resource_config
from workflow.local.sagemaker.training.uris import local_path

PROGRAM = "sagemaker_program"
SUBMIT_DIR = "sagemaker_submit_directory"


def channel_source(channel: dict[str, Any], index: int) -> Path:
    source = channel.get("DataSource", {})
    field = f"InputDataConfig.{index}.DataSource"
    if "S3DataSource" not in source:
        kinds = ", ".join(source) or "nothing"
        raise ValidationException(f"{field}: only S3DataSource is supported locally (got {kinds})")
    return local_path(source["S3DataSource"]["S3Uri"], f"{field}.S3DataSource.S3Uri")


def entry_point(hyperparameters: dict[str, str]) -> tuple[str, str]:
    """The script and source directory URI, from the PyTorch container's hyperparameters."""
    decoded = decode_hyperparameters(hyperparameters)
    program, submit = decoded.get(PROGRAM), decoded.get(SUBMIT_DIR)
    if not program or not submit:
        raise ValidationException(
            f"HyperParameters: local training jobs run a script, as the SageMaker PyTorch "
            f"container does; set {PROGRAM} (e.g. \"train.py\") and {SUBMIT_DIR} "
            f"(a file:// URI of a source .tar.gz or folder)"
        )
    return str(program), str(submit)


def validate(request: dict[str, Any]) -> None:
    """Everything that can be checked before the job is accepted (so errors are synchronous)."""
    program, submit = entry_point(request.get("HyperParameters", {}))
    source = local_path(submit, f"HyperParameters.{SUBMIT_DIR}")
    if not source.exists():
        raise ValidationException(f"HyperParameters.{SUBMIT_DIR}: {submit} does not exist")
    if source.is_dir() and not (source / program).is_file():
        raise ValidationException(f"HyperParameters.{PROGRAM}: {program} is not in {submit}")
    names = set()
    for i, channel in enumerate(request.get("InputDataConfig", []), start=1):
        path = channel_source(channel, i)
        if not path.exists():
            raise ValidationException(
                f"InputDataConfig.{i}.DataSource.S3DataSource.S3Uri: {path} does not exist"
            )
        if channel["ChannelName"] in names:
            raise ValidationException(f"InputDataConfig: channel {channel['ChannelName']} repeats")
        names.add(channel["ChannelName"])
    local_path(request["OutputDataConfig"]["S3OutputPath"], "OutputDataConfig.S3OutputPath")
    if request.get("CheckpointConfig"):
        local_path(request["CheckpointConfig"]["S3Uri"], "CheckpointConfig.S3Uri")


def _link_or_copy(src: str, dst: str) -> None:
    # Hard links make staging a large dataset instant; copy across file systems.
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def copy_tree(src: Path, dst: Path) -> None:
    if src.is_dir():
        shutil.copytree(src, dst, copy_function=_link_or_copy, dirs_exist_ok=True)
    else:
        dst.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(src), str(dst / src.name))


def write_configs(paths: JobPaths, request: dict[str, Any], hook_config: dict[str, Any] | None,
                  profiler_config: dict[str, Any] | None) -> None:
    channels = {
        c["ChannelName"]: {
            "TrainingInputMode": c.get("InputMode", request.get("AlgorithmSpecification", {})
                                       .get("TrainingInputMode", "File")),
            "S3DistributionType": c["DataSource"]["S3DataSource"].get(
                "S3DataDistributionType", "FullyReplicated"),
            "RecordWrapperType": c.get("RecordWrapperType", "None"),
        }
        for c in request.get("InputDataConfig", [])
    }
    files = {
        "hyperparameters.json": request.get("HyperParameters", {}),
        "resourceconfig.json": resource_config(),
        "inputdataconfig.json": channels,
    }
    if request.get("CheckpointConfig"):
        files["checkpointconfig.json"] = {"LocalPath": str(paths.checkpoints)}
    if hook_config is not None:
        files["debughookconfig.json"] = hook_config
    if profiler_config is not None:
        files["profilerconfig.json"] = profiler_config
    for name, body in files.items():
        (paths.config / name).write_text(json.dumps(body, indent=2))


def stage_inputs(paths: JobPaths, request: dict[str, Any]) -> None:
    for i, channel in enumerate(request.get("InputDataConfig", []), start=1):
        copy_tree(channel_source(channel, i), paths.data / channel["ChannelName"])
    _, submit = entry_point(request.get("HyperParameters", {}))
    source = local_path(submit, f"HyperParameters.{SUBMIT_DIR}")
    if source.is_dir():
        copy_tree(source, paths.code)
    else:
        extract_tar(source, paths.code, f"HyperParameters.{SUBMIT_DIR}")
    checkpoint = request.get("CheckpointConfig")
    if checkpoint:
        saved = local_path(checkpoint["S3Uri"], "CheckpointConfig.S3Uri")
        if saved.is_dir():  # a restarted job resumes from what an earlier run saved
            shutil.copytree(saved, paths.checkpoints, dirs_exist_ok=True)


def save_checkpoints(paths: JobPaths, request: dict[str, Any]) -> None:
    checkpoint = request.get("CheckpointConfig")
    if checkpoint and paths.checkpoints.is_dir() and any(paths.checkpoints.iterdir()):
        target = local_path(checkpoint["S3Uri"], "CheckpointConfig.S3Uri")
        shutil.copytree(paths.checkpoints, target, dirs_exist_ok=True)
