"""Checkpoints for resuming (managed spot training restarts).

``<checkpoint-dir>/checkpoint.pt`` holds the full state after each epoch:
model, optimizer, scheduler, AMP scaler, epoch, early-stopping state and
the arguments. ``best.pt`` holds the weights with the best validation loss
so far. Both are written to a temporary file and renamed, so a job killed
mid-write leaves the previous checkpoint intact.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_FILE = "checkpoint.pt"
BEST_FILE = "best.pt"


def _atomic_save(obj: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def save_checkpoint(checkpoint_dir: str | Path, state: dict[str, Any]) -> Path:
    path = Path(checkpoint_dir) / CHECKPOINT_FILE
    _atomic_save(state, path)
    return path


def load_checkpoint(checkpoint_dir: str | Path | None) -> dict[str, Any] | None:
    """The latest full state, or None when there is none to resume from."""
    if not checkpoint_dir:
        return None
    path = Path(checkpoint_dir) / CHECKPOINT_FILE
    if not path.is_file():
        return None
    # weights_only=False: the state holds the args namespace and scheduler state.
    return torch.load(path, map_location="cpu", weights_only=False)


def save_best(checkpoint_dir: str | Path, model_state: dict[str, torch.Tensor]) -> None:
    _atomic_save(model_state, Path(checkpoint_dir) / BEST_FILE)


def load_best(checkpoint_dir: str | Path) -> dict[str, torch.Tensor] | None:
    path = Path(checkpoint_dir) / BEST_FILE
    return torch.load(path, map_location="cpu", weights_only=True) if path.is_file() else None
