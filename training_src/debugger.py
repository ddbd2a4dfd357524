"""SageMaker Debugger (smdebug) hook, created only when SageMaker asks for it.

SageMaker writes the hook configuration to
``/opt/ml/input/config/debughookconfig.json``; smdebug reads the path in
``SMDEBUG_CONFIG_FILE_PATH`` first (the local runtime sets it). When that
file exists, the hook is built with ``smdebug.pytorch.Hook.create_from_json_file()``
so its ``LocalPath``, ``HookParameters`` and ``CollectionConfigurations``
decide what is saved; the model and the loss module are registered, and the
hook is switched to TRAIN during training, EVAL during validation and PREDICT during
the final test pass. With
no configuration, or without smdebug installed, training goes on without
it and says so once. smdebug refuses an ``out_dir`` that already exists.
"""
from __future__ import annotations

import os
import sys
from typing import Any

from failure import TrainingError
from torch import nn

CONFIG_ENV = "SMDEBUG_CONFIG_FILE_PATH"  # smdebug.core.config_constants.CONFIG_FILE_PATH_ENV_STR
DEFAULT_CONFIG = "/opt/ml/input/config/debughookconfig.json"  # ...DEFAULT_CONFIG_FILE_PATH


def hook_config_path() -> str:
    return os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG


def create_hook(model: nn.Module, criterion: nn.Module) -> Any | None:
    """The registered smdebug hook, or None (with one line saying why)."""
    path = hook_config_path()
    if not os.path.isfile(path):
        print(f"SageMaker Debugger: no hook configuration at {path}; training without it",
              file=sys.stderr, flush=True)
        return None
    try:
        import smdebug.pytorch as smd
    except ImportError as exc:
        print(f"SageMaker Debugger: smdebug is not installed ({exc}); training without it",
              file=sys.stderr, flush=True)
        return None
    try:
        hook = smd.Hook.create_from_json_file(path)
    except Exception as exc:  # smdebug raises several unrelated types for a bad config
        raise TrainingError(f"SageMaker Debugger: cannot create the hook from {path}: "
                            f"{exc}") from exc
    hook.register_module(model)
    hook.register_loss(criterion)
    print(f"SageMaker Debugger: hook created from {path}, writing to {hook.out_dir}",
          file=sys.stderr, flush=True)
    return hook


def set_mode(hook: Any | None, mode: str) -> None:
    """``mode`` is "train", "eval" (validation) or "test" (the final pass, saved as PREDICT
    so that the rules, which read TRAIN and EVAL steps, judge training and validation only);
    a no-op without a hook."""
    if hook is None:
        return
    import smdebug.pytorch as smd
    hook.set_mode({"train": smd.modes.TRAIN, "eval": smd.modes.EVAL}.get(mode, smd.modes.PREDICT))


def close(hook: Any | None) -> None:
    if hook is not None:
        hook.close()
