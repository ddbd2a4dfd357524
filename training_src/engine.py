"""One training epoch and one evaluation pass, shaped like torchvision's reference.

Loss and accuracy are summed over the whole split and divided by the number
of images (correct / total), never averaged over batches, so a short last
batch weighs what its images weigh. The sums stay on the device and are read
once per pass, so the loop does not wait for the GPU at every step.
"""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import debugger
import torch
from torch import nn


@dataclass
class PassStats:
    loss: float
    accuracy: float
    correct: int
    total: int
    seconds: float

    @property
    def images_per_second(self) -> float:
        return self.total / self.seconds if self.seconds > 0 else 0.0


@dataclass
class EarlyStopping:
    """Stops after ``patience`` epochs without a lower validation loss (0: never stops)."""

    patience: int
    best_loss: float = float("inf")
    stale: int = 0

    def update(self, valid_loss: float) -> bool:
        """Records one epoch; True when it is the best so far (NaN never is)."""
        if valid_loss < self.best_loss:
            self.best_loss, self.stale = valid_loss, 0
            return True
        self.stale += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.patience > 0 and self.stale >= self.patience


def _autocast(device: torch.device, enabled: bool):
    return torch.autocast(device_type=device.type, dtype=torch.float16, enabled=enabled)


def _to_device(images: torch.Tensor, targets: torch.Tensor, device: torch.device,
               channels_last: bool) -> tuple[torch.Tensor, torch.Tensor]:
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    images = images.to(device, non_blocking=True, memory_format=fmt)
    return images, targets.to(device, non_blocking=True)


class _Sums:
    """One pass's loss and correct predictions summed on the device, and its image count."""

    def __init__(self, device: torch.device) -> None:
        self.loss = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.total = 0
        self.start = time.perf_counter()

    def add(self, loss: torch.Tensor, outputs: torch.Tensor, targets: torch.Tensor) -> int:
        """Adds one batch; returns its size."""
        batch = targets.shape[0]
        self.loss += loss.detach().float() * batch
        self.correct += (outputs.detach().argmax(dim=1) == targets).sum()
        self.total += batch
        return batch

    def stats(self) -> PassStats:
        seconds = time.perf_counter() - self.start
        if self.total == 0:
            return PassStats(float("nan"), 0.0, 0, 0, seconds)
        n_correct = int(self.correct.item())
        return PassStats(loss=self.loss.item() / self.total, accuracy=n_correct / self.total,
                         correct=n_correct, total=self.total, seconds=seconds)


def _batches(loader: Iterable, device: torch.device,
             channels_last: bool) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, float, float]]:
    """(step, images, targets, seconds waited for the batch, when it was on the device)."""
    tick = time.perf_counter()
    for step, (images, targets) in enumerate(loader):
        images, targets = _to_device(images, targets, device, channels_last)
        loaded = time.perf_counter()
        yield step, images, targets, loaded - tick, loaded
        tick = time.perf_counter()


def _record(mode: str, epoch: int, step: int, data_seconds: float, started: float, batch: int,
            profiler: Any, timings: Any) -> None:
    """Time one step for the profile summary (no synchronisation) and for ``--profile``."""
    if timings is not None:
        timings.record(mode, data_seconds, time.perf_counter() - started, batch)
    if profiler is not None:
        profiler.synchronize()
        profiler.record(epoch, step, mode, data_seconds, time.perf_counter() - started, batch)


def train_one_epoch(model: nn.Module, criterion: nn.Module, optimizer: torch.optim.Optimizer,
                    loader: Iterable, device: torch.device, epoch: int,
                    scaler: torch.amp.GradScaler | None = None, hook: Any = None,
                    profiler: Any = None, channels_last: bool = False, diagnostics: Any = None,
                    timings: Any = None) -> PassStats:
    """Trains over ``loader`` once; AMP is on exactly when ``scaler`` is given.

    ``diagnostics`` (``diagnostics.Diagnostics``) sees each step's loss and gradients;
    ``timings`` (``profile_summary.StepTimes``) each step's data wait and compute time.
    """
    model.train()
    debugger.set_mode(hook, "train")
    sums = _Sums(device)
    for step, images, targets, waited, loaded in _batches(loader, device, channels_last):
        with _autocast(device, scaler is not None):
            outputs = model(images)
            loss = criterion(outputs, targets)
        optimizer.zero_grad(set_to_none=True)
        (scaler.scale(loss) if scaler is not None else loss).backward()
        if diagnostics is not None:  # before the scaler's step unscales the gradients in place
            diagnostics.train_step(loss, scaler)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        batch = sums.add(loss, outputs, targets)
        _record("train", epoch, step, waited, loaded, batch, profiler, timings)
    if diagnostics is not None:
        diagnostics.end_pass()
    return sums.stats()


@torch.inference_mode()
def evaluate(model: nn.Module, criterion: nn.Module, loader: Iterable, device: torch.device,
             epoch: int = 0, amp: bool = False, hook: Any = None, profiler: Any = None,
             channels_last: bool = False, mode: str = "eval", diagnostics: Any = None,
             timings: Any = None) -> PassStats:
    """One pass without gradients; ``mode`` is "eval" (validation: the checks see its
    losses) or "test" (the final pass, which the hook saves as PREDICT and the checks ignore)."""
    model.eval()
    debugger.set_mode(hook, mode)
    sums = _Sums(device)
    for step, images, targets, waited, loaded in _batches(loader, device, channels_last):
        with _autocast(device, amp):
            outputs = model(images)
            loss = criterion(outputs, targets)
        batch = sums.add(loss, outputs, targets)
        if diagnostics is not None and mode == "eval":
            diagnostics.eval_step(loss)
        _record(mode, epoch, step, waited, loaded, batch, profiler, timings)
    if diagnostics is not None:
        diagnostics.end_pass()
    return sums.stats()
