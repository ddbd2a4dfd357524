"""The contract of the SageMaker training toolkit: environment variables and script flags.

The PyTorch framework container runs ``python <sagemaker_program> --hp value ...``
in the code directory with ``SM_*`` variables describing the job. The rules
here follow the toolkit: hyperparameter values are JSON-decoded when they are
JSON, ``sagemaker_*`` ones are framework settings and never reach the script as
flags, flags are sorted by name, and mappings are passed as ``k=v,k=v``.
"""
from __future__ import annotations

import glob
import json
import os
import re
from typing import Any

from workflow.local.sagemaker.training.layout import JobPaths

FRAMEWORK_PREFIX = "sagemaker_"
CURRENT_HOST = "algo-1"


def decode_hyperparameters(raw: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            decoded[key] = json.loads(value)
        except (TypeError, ValueError):
            decoded[key] = value
    return decoded


def user_hyperparameters(decoded: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in decoded.items() if not k.startswith(FRAMEWORK_PREFIX)}


def _flag_value(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


def to_cmd_args(hyperparameters: dict[str, Any]) -> list[str]:
    args: list[str] = []
    for key in sorted(hyperparameters):
        args += [("--" if len(key) > 1 else "-") + key, _flag_value(hyperparameters[key])]
    return args


def _env_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def _env_value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def resource_config() -> dict[str, Any]:
    return {
        "current_host": CURRENT_HOST,
        "current_instance_type": "local",
        "current_group_name": "homogeneousCluster",
        "hosts": [CURRENT_HOST],
        "instance_groups": [{"instance_group_name": "homogeneousCluster",
                             "instance_type": "local", "hosts": [CURRENT_HOST]}],
        "network_interface_name": "lo",
    }


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def gpu_count() -> int:
    """NVIDIA devices visible to the job, without importing torch (seconds of start-up)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    return len(glob.glob("/dev/nvidia[0-9]*"))


def build_environment(
    *, job_name: str, paths: JobPaths, hyperparameters: dict[str, str], channels: list[str],
    program: str, submit_dir: str, user_env: dict[str, str], num_gpus: int, checkpoints: bool = False,
) -> tuple[dict[str, str], list[str]]:
    """The script's environment and its command-line arguments."""
    decoded = decode_hyperparameters(hyperparameters)
    user_hps = user_hyperparameters(decoded)
    args = to_cmd_args(user_hps)
    module_name = program[:-3] if program.endswith(".py") else program
    num_cpus = cpu_count()
    channel_dirs = {name: str(paths.data / name) for name in channels}
    training_env = {
        "additional_framework_parameters": {k: v for k, v in decoded.items()
                                            if k.startswith(FRAMEWORK_PREFIX)},
        "channel_input_dirs": channel_dirs,
        "current_host": CURRENT_HOST,
        "framework_module": "sagemaker_pytorch_container.training:main",
        "hosts": [CURRENT_HOST],
        "hyperparameters": user_hps,
        "input_config_dir": str(paths.config),
        "input_data_config": json.loads((paths.config / "inputdataconfig.json").read_text()),
        "input_dir": str(paths.root / "input"),
        "is_master": True,
        "job_name": job_name,
        "log_level": 20,
        "master_hostname": CURRENT_HOST,
        "model_dir": str(paths.model),
        "module_dir": submit_dir,
        "module_name": module_name,
        "network_interface_name": "lo",
        "num_cpus": num_cpus,
        "num_gpus": num_gpus,
        "output_data_dir": str(paths.output_data),
        "output_dir": str(paths.output),
        "output_intermediate_dir": str(paths.output / "intermediate"),
        "resource_config": resource_config(),
        "user_entry_point": program,
    }
    env = {
        "SM_TRAINING_ENV": json.dumps(training_env),
        "SM_USER_ARGS": json.dumps(args),
        "SM_HPS": json.dumps(user_hps),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_MODEL_DIR": str(paths.model),
        "SM_INPUT_DIR": str(paths.root / "input"),
        "SM_INPUT_CONFIG_DIR": str(paths.config),
        "SM_INPUT_DATA_CONFIG": json.dumps(training_env["input_data_config"]),
        "SM_RESOURCE_CONFIG": json.dumps(training_env["resource_config"]),
        "SM_OUTPUT_DIR": str(paths.output),
        "SM_OUTPUT_DATA_DIR": str(paths.output_data),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(paths.output / "intermediate"),
        "SM_NUM_CPUS": str(num_cpus),
        "SM_NUM_GPUS": str(num_gpus),
        "SM_CURRENT_HOST": CURRENT_HOST,
        "SM_CURRENT_INSTANCE_TYPE": "local",
        "SM_HOSTS": json.dumps([CURRENT_HOST]),
        "SM_MASTER_ADDR": CURRENT_HOST,
        "SM_IS_MASTER": "true",
        "SM_NETWORK_INTERFACE_NAME": "lo",
        "SM_LOG_LEVEL": "20",
        "SM_MODULE_NAME": module_name,
        "SM_MODULE_DIR": submit_dir,
        "SM_USER_ENTRY_POINT": program,
        "SM_FRAMEWORK_MODULE": training_env["framework_module"],
        "SM_FRAMEWORK_PARAMS": json.dumps(training_env["additional_framework_parameters"]),
        "TRAINING_JOB_NAME": job_name,
        "SMDEBUG_CONFIG_FILE_PATH": str(paths.config / "debughookconfig.json"),
        "PYTHONUNBUFFERED": "1",
    }
    if checkpoints:
        # With a CheckpointConfig the container uses /opt/ml/checkpoints; here each job has its own.
        env["SM_CHECKPOINT_DIR"] = str(paths.checkpoints)
    for name, path in channel_dirs.items():
        env[f"SM_CHANNEL_{_env_name(name)}"] = path
    for key, value in user_hps.items():
        env[f"SM_HP_{_env_name(key)}"] = _env_value(value)
    env.update(user_env)
    return env, args
