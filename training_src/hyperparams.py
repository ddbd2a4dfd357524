"""train.py's arguments, in the SageMaker training toolkit contract.

Hyperparameters arrive as ``--kebab-case value`` flags (the hyperparameter
``batch-size`` becomes ``--batch-size 64``). Because hyperparameters.json
holds strings, a value may also arrive JSON-encoded (``"\\"adam\\""``,
``"0.01"``, ``"true"``): every flag accepts both. ``SM_HPS`` (the same
hyperparameters as one JSON object) supplies defaults for flags that were
not given. Unknown flags (such as the ``_tuning_objective_metric`` a tuning
job adds) are reported once and ignored.

Paths, each with a flag for hand use and the SageMaker variable as default:

=====================  =========================  ===========================
flag                   SageMaker environment      default by hand
=====================  =========================  ===========================
``--data-dir``         ``SM_CHANNEL_TRAINING``    ``data`` (holds train/ valid/ test/)
``--train-dir`` ...    ``SM_CHANNEL_TRAIN``,      unset (separate channels win
                       ``SM_CHANNEL_VALID``,      over ``--data-dir``)
                       ``SM_CHANNEL_TEST``
``--model-dir``        ``SM_MODEL_DIR``           ``model``
``--output-data-dir``  ``SM_OUTPUT_DATA_DIR``     ``output``
``--checkpoint-dir``   ``SM_CHECKPOINT_DIR``      ``/opt/ml/checkpoints`` when it
                       (local runtime only)       is a writable directory, else off
=====================  =========================  ===========================
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from failure import TrainingError
from network import ARCHITECTURES, TRAIN_LAYERS

SAGEMAKER_CHECKPOINT_DIR = "/opt/ml/checkpoints"
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULERS = ("cosine", "step", "none")


def _unjson(raw: str) -> Any:
    """The value behind a possibly JSON-encoded string; the string itself otherwise."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def json_str(raw: str) -> str:
    value = _unjson(raw)
    return value if isinstance(value, str) else str(raw)


def json_int(raw: str) -> int:
    value = _unjson(raw)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise argparse.ArgumentTypeError(f"expected an integer, got {raw!r}")
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {raw!r}") from None
    if not number.is_integer():
        raise argparse.ArgumentTypeError(f"expected an integer, got {raw!r}")
    return int(number)


def json_float(raw: str) -> float:
    value = _unjson(raw)
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a number, got {raw!r}") from None


def json_bool(raw: str) -> bool:
    value = _unjson(raw)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {raw!r}")


def json_optional_path(raw: str) -> str | None:
    value = json_str(raw)
    return None if value.strip().lower() in ("", "none", "null", "false") else value


class HyperparameterParser(argparse.ArgumentParser):
    """Reports a bad flag as a TrainingError, so it reaches the failure file."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise TrainingError(f"invalid hyperparameter: {message}")


def _default_checkpoint_dir(env: Mapping[str, str]) -> str | None:
    # SM_CHECKPOINT_DIR is set by the local runtime, whose jobs cannot use /opt/ml.
    if env.get("SM_CHECKPOINT_DIR"):
        return env["SM_CHECKPOINT_DIR"]
    path = SAGEMAKER_CHECKPOINT_DIR
    return path if os.path.isdir(path) and os.access(path, os.W_OK) else None


def get_args_parser(add_help: bool = True, environ: Mapping[str, str] | None = None
                    ) -> HyperparameterParser:
    env = os.environ if environ is None else environ
    p = HyperparameterParser(description="Dog-breed ResNet transfer learning "
                                "(SageMaker training contract)", add_help=add_help)
    a = p.add_argument
    a("--arch", type=json_str, default="resnet18", choices=sorted(ARCHITECTURES))
    a("--pretrained", type=json_bool, default=False,
      help="start from torchvision's ImageNet weights (needs network access)")
    a("--train-layers", type=json_str, default="all", choices=TRAIN_LAYERS)
    a("--optimizer", type=json_str, default="adamw", choices=OPTIMIZERS)
    a("--lr", type=json_float, default=1e-3, help="initial learning rate")
    a("--momentum", type=json_float, default=0.9, help="SGD momentum")
    a("--weight-decay", type=json_float, default=1e-4)
    a("--lr-scheduler", type=json_str, default="cosine", choices=SCHEDULERS)
    a("--batch-size", type=json_int, default=32)
    a("--epochs", type=json_int, default=10)
    a("--image-size", type=json_int, default=224)
    a("--seed", type=json_int, default=0)
    a("--patience", type=json_int, default=3,
      help="stop after this many epochs without a better validation loss (0: never)")
    a("--num-workers", type=json_int, default=min(4, max(0, (os.cpu_count() or 1) - 1)))
    a("--device", type=json_str, default="auto", choices=("auto", "cpu", "cuda"))
    a("--amp", type=json_str, default="auto", choices=("auto", "true", "false"),
      help="mixed precision; auto = on with CUDA")
    a("--channels-last", type=json_str, default="auto", choices=("auto", "true", "false"))
    a("--profile", type=json_bool, default=False,
      help="write step timings, system samples and a torch profiler trace")
    a("--profile-trace-steps", type=json_int, default=5)
    a("--system-sample-seconds", type=json_float, default=1.0)
    a("--model-version", type=json_str,
      default=env.get("TRAINING_JOB_NAME") or env.get("SM_TRAINING_JOB_NAME") or "")
    a("--top-k", type=json_int, default=5, help="default number of breeds inference returns")
    a("--data-dir", type=json_str, default=env.get("SM_CHANNEL_TRAINING") or "data")
    a("--train-dir", type=json_optional_path, default=env.get("SM_CHANNEL_TRAIN"))
    a("--valid-dir", type=json_optional_path, default=env.get("SM_CHANNEL_VALID"))
    a("--test-dir", type=json_optional_path, default=env.get("SM_CHANNEL_TEST"))
    a("--model-dir", type=json_str, default=env.get("SM_MODEL_DIR") or "model")
    a("--output-data-dir", type=json_str, default=env.get("SM_OUTPUT_DATA_DIR") or "output")
    a("--checkpoint-dir", type=json_optional_path, default=_default_checkpoint_dir(env),
      help="where to save and resume checkpoints ('none' turns them off)")
    return p


def parse_args(argv: Sequence[str] | None = None,
               environ: Mapping[str, str] | None = None) -> argparse.Namespace:
    env = os.environ if environ is None else environ
    parser = get_args_parser(environ=env)
    _apply_sm_hps(parser, env.get("SM_HPS"))
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"ignoring unknown hyperparameters: {' '.join(unknown)}", file=sys.stderr)
    check_args(parser, args)
    return args


def _apply_sm_hps(parser: argparse.ArgumentParser, raw: str | None) -> None:
    if not raw:
        return
    try:
        hps = json.loads(raw)
    except ValueError:
        parser.error(f"SM_HPS is not a JSON object: {raw[:200]!r}")
    actions = {a.dest: a for a in parser._actions}  # argparse has no public lookup
    defaults = {}
    for key, value in (hps if isinstance(hps, dict) else {}).items():
        action = actions.get(key.replace("-", "_"))
        if action is None or action.type is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            defaults[action.dest] = cast("Callable[[str], Any]", action.type)(text)
        except argparse.ArgumentTypeError as exc:
            parser.error(f"hyperparameter {key}: {exc}")
    parser.set_defaults(**defaults)


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    positive = ("batch_size", "epochs", "image_size", "top_k")
    for name in positive:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, "
                         f"got {getattr(args, name)}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    for name in ("weight_decay", "patience", "num_workers"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
