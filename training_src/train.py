"""Dog-breed ResNet transfer learning: the SageMaker training job entry point.

Runs unchanged in a SageMaker PyTorch container, in the local training jobs
and by hand::

    python training_src/train.py --data-dir dogImages --model-dir model --epochs 5

Contracts (each module's docstring has the details):

* arguments and paths: :mod:`hyperparams` (``--kebab-case`` flags, plain or
  JSON-encoded values, ``SM_CHANNEL_*``, ``SM_MODEL_DIR``, ``SM_OUTPUT_DATA_DIR``);
* data layout and splits: :mod:`breed_data`;
* stdout metric lines and ``metric_definitions.json``: :mod:`metric_lines`;
* the model directory inference loads: :mod:`model_dir`;
* checkpoints and resume: :mod:`checkpoint`; Debugger hook: :mod:`debugger`;
  ``--profile`` output: :mod:`profiling`;
* the five built-in checks (Debugger's rules without Debugger), their metric lines,
  ``diagnostics.json`` and ``loss-curve.png``: :mod:`diagnostics`, :mod:`checks`;
  where the time goes, ``profile-summary.json``: :mod:`profile_summary`;
* MLflow tracking and the model registry when ``MLFLOW_TRACKING_URI`` is set: :mod:`tracking`;
* failure: a one-paragraph reason in the failure file and exit status 1
  (:mod:`failure`); ``<output-data-dir>/metrics.json`` holds the epoch history
  and the test result on success.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import breed_data
import checkpoint
import debugger
import metric_lines
import numpy as np
import torch
from diagnostics import LOSS_CURVE, Diagnostics
from diagnostics import REPORT as DIAGNOSTICS_REPORT
from engine import EarlyStopping, evaluate, train_one_epoch
from failure import TrainingError, report_failure
from hyperparams import get_args_parser, parse_args
from model_dir import model_config, save_model_dir
from network import PretrainedWeightsUnavailable, build_model
from preprocess import IMAGENET_MEAN, IMAGENET_STD, default_resize_size
from profile_summary import SUMMARY as PROFILE_SUMMARY
from profile_summary import StepTimes
from profiling import StepProfiler
from torch import nn
from tracking import Tracker, epoch_metrics

__all__ = ["get_args_parser", "train_one_epoch", "evaluate", "main", "run"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def select_device(choice: str) -> torch.device:
    if choice == "cuda" and not torch.cuda.is_available():
        raise TrainingError("--device cuda was asked for but CUDA is not available")
    if choice == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def _flag(value: str, device: torch.device) -> bool:
    return device.type == "cuda" if value == "auto" else value == "true"


def build_optimizer(args: argparse.Namespace, model: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if args.optimizer == "sgd":
        return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum,
                               weight_decay=args.weight_decay)
    cls = torch.optim.Adam if args.optimizer == "adam" else torch.optim.AdamW
    return cls(params, lr=args.lr, weight_decay=args.weight_decay)


def build_scheduler(args: argparse.Namespace, optimizer: torch.optim.Optimizer):
    if args.lr_scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    if args.lr_scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, args.epochs // 3),
                                               gamma=0.1)
    return None


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Trains, evaluates on test once, writes the model directory; returns the results."""
    tracker = Tracker.from_environment(datetime.now(UTC).strftime("train-%Y%m%d-%H%M%S"))
    if tracker is not None:
        tracker.start(vars(args))
    try:
        return fit(args, tracker)
    except BaseException as exc:
        if tracker is not None:
            tracker.failed(f"{type(exc).__name__}: {exc}")
        raise


def _restore(state: dict[str, Any], checkpoint_dir: str | None, model: nn.Module, optimizer: Any, scheduler: Any,
             scaler: Any) -> None:
    """Model, optimizer, scheduler and scaler as the checkpoint left them."""
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler"):
            scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
    except (KeyError, ValueError, RuntimeError) as exc:
        raise TrainingError(f"the checkpoint in {checkpoint_dir} does not fit this job "
                            f"(different arch, classes or optimizer?): {exc}") from exc


def fit(args: argparse.Namespace, tracker: Tracker | None) -> dict[str, Any]:
    seed_everything(args.seed)
    device = select_device(args.device)
    amp = _flag(args.amp, device) and device.type == "cuda"
    channels_last = _flag(args.channels_last, device)
    split_dirs = breed_data.resolve_split_dirs(args.data_dir, args.train_dir, args.valid_dir,
                                               args.test_dir)
    classes = breed_data.check_layout(split_dirs)
    resize_size = default_resize_size(args.image_size)
    datasets = breed_data.build_datasets(split_dirs, args.image_size, resize_size)
    loaders = breed_data.build_loaders(datasets, args.batch_size, args.num_workers, args.seed,
                                       pin_memory=device.type == "cuda")
    log(f"data: {len(classes)} classes, " + ", ".join(
        f"{s}={len(datasets[s])} images from {split_dirs[s]}" for s in breed_data.SPLITS))

    model = build_model(args.arch, len(classes), args.pretrained, args.train_layers)
    memory_format = torch.channels_last if channels_last else torch.preserve_format
    # Module.to takes memory_format, which its typed overloads leave out.
    model.to(device, memory_format=memory_format)  # type: ignore[call-overload]
    criterion = nn.CrossEntropyLoss()
    optimizer = build_optimizer(args, model)
    scheduler = build_scheduler(args, optimizer)
    scaler = torch.amp.GradScaler("cuda") if amp else None
    log(f"device={device} amp={amp} channels_last={channels_last} arch={args.arch} "
        f"pretrained={args.pretrained} train_layers={args.train_layers} "
        f"optimizer={args.optimizer} lr={args.lr} weight_decay={args.weight_decay} "
        f"batch_size={args.batch_size}")

    history: list[dict[str, Any]] = []
    start_epoch, stopper = 1, EarlyStopping(args.patience)
    best_state = copy.deepcopy(model.state_dict())
    state = checkpoint.load_checkpoint(args.checkpoint_dir)
    if state is not None:
        _restore(state, args.checkpoint_dir, model, optimizer, scheduler, scaler)
        start_epoch = state["epoch"] + 1
        stopper.best_loss, stopper.stale = state["best_loss"], state["stale"]
        history = state["history"]
        best_state = checkpoint.load_best(args.checkpoint_dir) or copy.deepcopy(model.state_dict())
        log(f"resumed from checkpoint in {args.checkpoint_dir} after epoch {state['epoch']}")

    hook = debugger.create_hook(model, criterion)
    checks = Diagnostics(model)
    timings = StepTimes(device.type == "cuda").start()
    profiler = None
    if args.profile:
        profiler = StepProfiler(args.output_data_dir, args.profile_trace_steps,
                                args.system_sample_seconds, device.type == "cuda").start()
    try:
        for epoch in range(start_epoch, args.epochs + 1):
            if stopper.should_stop:  # a resumed job that had already stopped early
                break
            train = train_one_epoch(model, criterion, optimizer, loaders["train"], device, epoch,
                                    scaler, hook, profiler, channels_last, checks, timings)
            valid = evaluate(model, criterion, loaders["valid"], device, epoch, amp, hook,
                             profiler, channels_last, "eval", checks, timings)
            if scheduler is not None:
                scheduler.step()
            print(metric_lines.epoch_line(epoch, train.loss, train.accuracy, valid.loss,
                                          valid.accuracy), flush=True)
            history.append({"epoch": epoch, "train_loss": train.loss,
                            "train_accuracy": train.accuracy, "valid_loss": valid.loss,
                            "valid_accuracy": valid.accuracy,
                            "train_images_per_second": train.images_per_second})
            if tracker is not None:
                tracker.epoch(epoch, epoch_metrics(history[-1]))
            if stopper.update(valid.loss):
                best_state = copy.deepcopy(model.state_dict())
                if args.checkpoint_dir:
                    checkpoint.save_best(args.checkpoint_dir, best_state)
            if args.checkpoint_dir:
                checkpoint.save_checkpoint(args.checkpoint_dir, {
                    "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "scaler": scaler.state_dict() if scaler is not None else None,
                    "epoch": epoch, "best_loss": stopper.best_loss, "stale": stopper.stale,
                    "history": history, "args": vars(args)})
            if stopper.should_stop:
                log(f"early stopping: validation loss has not improved for {stopper.stale} "
                    f"epochs")
                break

        model.load_state_dict(best_state)
        test = evaluate(model, criterion, loaders["test"], device, len(history), amp, hook,
                        profiler, channels_last, "test", None, timings)
        print(metric_lines.test_line(test.loss, test.accuracy), flush=True)
        verdicts = checks.finish(args.output_data_dir)
        profile = timings.write(args.output_data_dir)
        log(f"profile: {profile['verdict']}: {profile['evidence']}")
    finally:
        checks.close()
        if profiler is not None:
            profiler.close()
        debugger.close(hook)

    version = args.model_version or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    config = model_config(args.arch, classes, args.image_size, resize_size, IMAGENET_MEAN,
                          IMAGENET_STD, args.top_k, version)
    save_model_dir(args.model_dir, model, classes, config)
    results: dict[str, Any] = {"history": history, "test_loss": test.loss, "test_accuracy": test.accuracy,
               "test_correct": test.correct, "test_total": test.total,
               "model_dir": str(args.model_dir), "model_version": version,
               "rules": {v.rule: v.issues_found for v in verdicts},
               "profile": {"verdict": profile["verdict"], "evidence": profile["evidence"]}}
    out = Path(args.output_data_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    log(f"model written to {args.model_dir} (version {version})")
    if tracker is not None:
        registered = tracker.finish(
            {"test_loss": test.loss, "test_accuracy": test.accuracy}, results["rules"],
            [out / name for name in (DIAGNOSTICS_REPORT, LOSS_CURVE, PROFILE_SUMMARY)],
            Path(args.model_dir), {"profile.verdict": profile["verdict"]})
        if registered is not None:
            print(metric_lines.model_version_line(registered), flush=True)
    return results


def run(argv: Sequence[str] | None = None) -> int:
    """Entry point: parses arguments, trains, turns every failure into the failure file."""
    started = time.time()
    try:
        main(parse_args(argv))
    except (TrainingError, PretrainedWeightsUnavailable) as exc:
        report_failure(str(exc))
        return 1
    except Exception as exc:  # noqa: BLE001 - the job must leave a reason whatever went wrong
        traceback.print_exc()
        report_failure(f"unexpected {type(exc).__name__}: {exc}")
        return 1
    log(f"training finished in {time.time() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run())
