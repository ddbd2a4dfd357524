"""The dataset: dogImages layout, checked before anything trains.

Layout: three splits ``train/``, ``valid/``, ``test/``, each with the same
class folders (``001.Affenpinscher``, ``002.Afghan_hound``, ...), each
holding images. The label index of a class is its position in the sorted
folder list, identical in every split. Only ``train`` is ever trained on;
``valid`` drives early stopping and ``test`` is read once, at the end.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from failure import TrainingError
from preprocess import eval_transform, train_transform
from torch.utils.data import DataLoader
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS

SPLITS = ("train", "valid", "test")


class DataLayoutError(TrainingError):
    """The data directory is not in the dogImages layout; the message names what is wrong."""


def resolve_split_dirs(data_dir: str | None, train_dir: str | None = None,
                       valid_dir: str | None = None, test_dir: str | None = None
                       ) -> dict[str, Path]:
    """Split folders from one ``training`` channel or from separate channels.

    A separate channel may hold the class folders itself or a folder named
    after its split (an S3 prefix that ends above ``train/``).
    """
    separate = {"train": train_dir, "valid": valid_dir, "test": test_dir}
    dirs: dict[str, Path] = {}
    for split, channel in separate.items():
        if channel:
            root = Path(channel)
            dirs[split] = root / split if (root / split).is_dir() else root
        elif data_dir:
            dirs[split] = Path(data_dir) / split
        else:
            raise DataLayoutError(f"no folder for the {split!r} split: give --data-dir "
                                  f"or --{split}-dir")
    return dirs


def check_layout(split_dirs: Mapping[str, Path]) -> list[str]:
    """The class list, after checking that every split has the same class folders."""
    classes: dict[str, list[str]] = {}
    for split in SPLITS:
        root = split_dirs[split]
        if not root.is_dir():
            raise DataLayoutError(f"missing {split!r} split: {root} is not a directory")
        names = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not names:
            raise DataLayoutError(f"the {split!r} split at {root} has no class folders")
        classes[split] = names
    reference = classes["train"]
    for split in ("valid", "test"):
        missing = sorted(set(reference) - set(classes[split]))
        extra = sorted(set(classes[split]) - set(reference))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing[:5])}")
            if extra:
                parts.append(f"unexpected {', '.join(extra[:5])}")
            raise DataLayoutError(f"class folders of the {split!r} split at "
                                  f"{split_dirs[split]} do not match 'train': "
                                  f"{'; '.join(parts)}")
    if len(reference) < 2:
        raise DataLayoutError(f"need at least 2 class folders, found {len(reference)} "
                              f"in {split_dirs['train']}")
    for split in SPLITS:
        for name in reference:
            folder = split_dirs[split] / name
            if not any(_is_image(f) for f in folder.iterdir()):
                raise DataLayoutError(f"class folder {folder} ({split!r} split) holds no images")
    return reference


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMG_EXTENSIONS


def build_datasets(split_dirs: Mapping[str, Path], image_size: int,
                   resize_size: int | None = None) -> dict[str, ImageFolder]:
    """Augmented ``train``; ``valid`` and ``test`` with the serving transform."""
    evaluation = eval_transform(image_size, resize_size)
    return {
        "train": ImageFolder(str(split_dirs["train"]), transform=train_transform(image_size)),
        "valid": ImageFolder(str(split_dirs["valid"]), transform=evaluation),
        "test": ImageFolder(str(split_dirs["test"]), transform=evaluation),
    }


def _seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


def build_loaders(datasets: Mapping[str, ImageFolder], batch_size: int, num_workers: int,
                  seed: int, pin_memory: bool = False) -> dict[str, DataLoader]:
    generator = torch.Generator().manual_seed(seed)
    common: dict[str, Any] = dict(batch_size=batch_size, num_workers=num_workers, pin_memory=pin_memory,
                                  persistent_workers=num_workers > 0, worker_init_fn=_seed_worker)
    return {
        "train": DataLoader(datasets["train"], shuffle=True, drop_last=False,
                            generator=generator, **common),
        "valid": DataLoader(datasets["valid"], shuffle=False, **common),
        "test": DataLoader(datasets["test"], shuffle=False, **common),
    }
