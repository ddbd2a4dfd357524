"""Writes the synthetic dataset in the dogImages layout, and a zip of it.

Layout (the same as the real dogImages.zip)::

    <root>/train/001.Affenpinscher/Affenpinscher_00001.jpg
    <root>/valid/...
    <root>/test/...

The zip holds the same tree under a top folder ``dogImages/``. Every image
is drawn from a random generator seeded by (seed, split, class, index), and
the zip entries are sorted with fixed timestamps, so the same arguments give
byte-identical files.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workflow.synthetic.breeds import class_folders
from workflow.synthetic.drawing import draw_image

SPLITS = ("train", "valid", "test")
ZIP_TOP = "dogImages"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class SyntheticDataset:
    root: Path
    classes: list[str]
    counts: dict[str, int] = field(default_factory=dict)


def generate_dataset(root: str | Path, *, num_classes: int = 5, train_per_class: int = 40,
                     valid_per_class: int = 10, test_per_class: int = 10,
                     image_size: int = 64, seed: int = 0) -> SyntheticDataset:
    """Writes ``root/{train,valid,test}/<class>/*.jpg``; existing files are overwritten."""
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16, got {image_size}")
    per_class = {"train": train_per_class, "valid": valid_per_class, "test": test_per_class}
    if min(per_class.values()) < 1:
        raise ValueError(f"every split needs at least one image per class, got {per_class}")
    classes = class_folders(num_classes)
    root = Path(root)
    counts = {}
    for split_index, split in enumerate(SPLITS):
        for index, folder in enumerate(classes):
            out = root / split / folder
            out.mkdir(parents=True, exist_ok=True)
            breed = folder.split(".", 1)[1]
            for n in range(per_class[split]):
                rng = np.random.default_rng([seed, split_index, index, n])
                image = draw_image(index, image_size, rng)
                image.save(out / f"{breed}_{n + 1:05d}.jpg", format="JPEG", quality=90)
        counts[split] = per_class[split] * num_classes
    return SyntheticDataset(root=root, classes=classes, counts=counts)


def write_zip(root: str | Path, zip_path: str | Path) -> Path:
    """Zips ``root``'s splits under ``dogImages/``, deterministically."""
    root, zip_path = Path(root), Path(zip_path)
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for split in SPLITS for p in (root / split).rglob("*") if p.is_file())
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            info = zipfile.ZipInfo(f"{ZIP_TOP}/{path.relative_to(root).as_posix()}", _FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
    return zip_path


def generate_zip(zip_path: str | Path, workdir: str | Path, **options: int) -> SyntheticDataset:
    """Generates the dataset under ``workdir`` and zips it to ``zip_path``."""
    dataset = generate_dataset(workdir, **options)
    write_zip(dataset.root, zip_path)
    return dataset
