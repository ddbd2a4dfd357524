"""Checks a dataset zip in the dogImages layout before anything is uploaded.

Expected: ``[root/]{train,valid,test}/<NNN.Breed_name>/<image>``. Every check
names the entry or split at fault, so a user can fix the archive.
"""
from __future__ import annotations

import stat
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from PIL import Image, UnidentifiedImageError

SPLITS = ("train", "valid", "test")
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
_IGNORED = ("__MACOSX/",)


class DatasetError(Exception):
    """The dataset archive is not usable; the message names the entry or split."""


@dataclass
class ImageEntry:
    name: str  # the entry's name in the zip
    split: str
    label: str
    filename: str

    @property
    def relative(self) -> str:
        return f"{self.split}/{self.label}/{self.filename}"


@dataclass
class DatasetLayout:
    classes: list[str]
    images: list[ImageEntry] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SPLITS, 0)
        for image in self.images:
            out[image.split] += 1
        return out

    def class_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {s: dict.fromkeys(self.classes, 0) for s in SPLITS}
        for image in self.images:
            out[image.split][image.label] += 1
        return out


def _check_entry_name(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    path = PurePosixPath(name)
    if "\\" in name or path.is_absolute() or ".." in path.parts or (name[1:3] == ":/"):
        raise DatasetError(f"unsafe path in archive: entry {name!r} escapes the dataset folder")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DatasetError(f"unsafe entry in archive: {name!r} is a symbolic link")
    return path


def _split_root(paths: list[PurePosixPath]) -> int:
    """How many leading folders to skip: 0 for ``train/...``, 1 for ``dogImages/train/...``."""
    for depth in (0, 1):
        if any(len(p.parts) > depth and p.parts[depth] in SPLITS for p in paths):
            return depth
    raise DatasetError(f"no {'/'.join(SPLITS)} folders found in the archive (expected the dogImages layout)")


def read_layout(archive: zipfile.ZipFile, *, verify_images: bool = True) -> DatasetLayout:
    files = []
    for info in archive.infolist():
        path = _check_entry_name(info)
        if info.is_dir() or info.filename.startswith(_IGNORED) or path.name.startswith("."):
            continue
        files.append((info, path))
    if not files:
        raise DatasetError("the archive is empty")
    depth = _split_root([p for _, p in files])

    per_split: dict[str, set[str]] = defaultdict(set)
    images: list[ImageEntry] = []
    for info, path in files:
        parts = path.parts[depth:]
        if len(parts) != 3 or parts[0] not in SPLITS:
            continue  # README files and the like beside the splits
        split, label, filename = parts
        if PurePosixPath(filename).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        per_split[split].add(label)
        images.append(ImageEntry(info.filename, split, label, filename))

    for split in SPLITS:
        if not per_split.get(split):
            raise DatasetError(f"split {split!r} is missing or has no images")
    classes = sorted(per_split["train"])
    for split in ("valid", "test"):
        missing = sorted(set(classes) - per_split[split])
        extra = sorted(per_split[split] - set(classes))
        if missing or extra:
            detail = "; ".join(
                part for part in (
                    f"missing {', '.join(missing[:5])}" if missing else "",
                    f"not in train: {', '.join(extra[:5])}" if extra else "",
                ) if part
            )
            raise DatasetError(f"class folders of split {split!r} do not match train: {detail}")

    if verify_images:
        for image in images:
            _verify_image(archive, image.name)
    return DatasetLayout(classes=classes, images=images)


def _verify_image(archive: zipfile.ZipFile, name: str) -> None:
    try:
        with archive.open(name) as handle, Image.open(handle) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DatasetError(f"unreadable image {name!r}: {err}") from err
