"""Putting a job's inputs in place: config files, data channels, source code, checkpoints."""
from __future__ import annotations

import json
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.training.archives import extract_tar
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.storage import JobStorage
from workflow.local.sagemaker.training.toolkit_env import decode_hyperparameters, resource_config
from workflow.local.sagemaker.training.uris import s3_uri

PROGRAM = "sagemaker_program"
SUBMIT_DIR = "sagemaker_submit_directory"


def channel_uri(channel: dict[str, Any], index: int) -> str:
    source = channel.get("DataSource", {})
    field = f"InputDataConfig.{index}.DataSource"
    if "S3DataSource" not in source:
        kinds = ", ".join(source) or "nothing"
        raise ValidationException(f"{field}: only S3DataSource is supported locally (got {kinds})")
    return s3_uri(source["S3DataSource"]["S3Uri"], f"{field}.S3DataSource.S3Uri")


def entry_point(hyperparameters: dict[str, str]) -> tuple[str, str]:
    """The script and source tarball URI, from the PyTorch container's hyperparameters."""
    decoded = decode_hyperparameters(hyperparameters)
    program, submit = decoded.get(PROGRAM), decoded.get(SUBMIT_DIR)
    if not program or not submit:
        raise ValidationException(
            f"HyperParameters: local training jobs run a script, as the SageMaker PyTorch "
            f"container does; set {PROGRAM} (e.g. \"train.py\") and {SUBMIT_DIR} "
            f"(the s3:// URI of a source .tar.gz)"
        )
    return str(program), str(submit)


def validate(request: dict[str, Any]) -> None:
    """What SageMaker checks before it accepts a job; the data itself is read when the job
    starts (a missing channel fails the job, as on AWS)."""
    _, submit = entry_point(request.get("HyperParameters", {}))
    s3_uri(submit, f"HyperParameters.{SUBMIT_DIR}")
    names = set()
    for i, channel in enumerate(request.get("InputDataConfig", []), start=1):
        channel_uri(channel, i)
        if channel["ChannelName"] in names:
            raise ValidationException(f"InputDataConfig: channel {channel['ChannelName']} repeats")
        names.add(channel["ChannelName"])
    s3_uri(request["OutputDataConfig"]["S3OutputPath"], "OutputDataConfig.S3OutputPath")
    if request.get("CheckpointConfig"):
        s3_uri(request["CheckpointConfig"]["S3Uri"], "CheckpointConfig.S3Uri")


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


def stage_inputs(paths: JobPaths, request: dict[str, Any], storage: JobStorage) -> None:
    for i, channel in enumerate(request.get("InputDataConfig", []), start=1):
        storage.stage_channel(channel_uri(channel, i), paths.data / channel["ChannelName"])
    program, submit = entry_point(request.get("HyperParameters", {}))
    tarball = paths.root / "sourcedir.tar.gz"
    storage.fetch_file(submit, tarball)
    extract_tar(tarball, paths.code, f"HyperParameters.{SUBMIT_DIR}")
    tarball.unlink()
    if not (paths.code / program).is_file():
        raise ValidationException(f"HyperParameters.{PROGRAM}: {program} is not in {submit}")
    checkpoint = request.get("CheckpointConfig")
    if checkpoint:  # a restarted job resumes from what an earlier run saved
        storage.fetch_tree(checkpoint["S3Uri"], paths.checkpoints)


def save_checkpoints(paths: JobPaths, request: dict[str, Any], storage: JobStorage) -> None:
    checkpoint = request.get("CheckpointConfig")
    if checkpoint and paths.checkpoints.is_dir() and any(paths.checkpoints.iterdir()):
        storage.put_tree(paths.checkpoints, checkpoint["S3Uri"])
