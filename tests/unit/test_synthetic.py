"""The embedded synthetic dataset: dogImages layout, real breed names, deterministic."""
from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from workflow.synthetic import class_folders, generate_dataset, generate_zip, write_zip

SMALL = dict(num_classes=3, train_per_class=2, valid_per_class=1, test_per_class=1, image_size=32)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_layout_and_names(tmp_path):
    ds = generate_dataset(tmp_path, **SMALL)
    assert ds.classes == ["001.Affenpinscher", "002.Afghan_hound", "003.Airedale_terrier"]
    assert ds.counts == {"train": 6, "valid": 3, "test": 3}
    for split in ("train", "valid", "test"):
        assert sorted(p.name for p in (tmp_path / split).iterdir()) == ds.classes
    image = Image.open(tmp_path / "train" / "002.Afghan_hound" / "Afghan_hound_00002.jpg")
    assert image.size == (32, 32) and image.mode == "RGB" and image.format == "JPEG"


def test_same_seed_same_bytes_other_seed_other_images(tmp_path):
    a = generate_zip(tmp_path / "a.zip", tmp_path / "a", seed=7, **SMALL)
    generate_zip(tmp_path / "b.zip", tmp_path / "b", seed=7, **SMALL)
    generate_zip(tmp_path / "c.zip", tmp_path / "c", seed=8, **SMALL)
    assert _digest(tmp_path / "a.zip") == _digest(tmp_path / "b.zip")
    assert _digest(tmp_path / "a.zip") != _digest(tmp_path / "c.zip")
    assert a.root == tmp_path / "a"


def test_zip_holds_the_dogimages_tree(tmp_path):
    generate_dataset(tmp_path / "d", **SMALL)
    with zipfile.ZipFile(write_zip(tmp_path / "d", tmp_path / "d.zip")) as archive:
        names = archive.namelist()
    assert len(names) == 12
    assert "dogImages/train/001.Affenpinscher/Affenpinscher_00001.jpg" in names
    assert {n.split("/")[1] for n in names} == {"train", "valid", "test"}


def test_images_vary_within_a_class(tmp_path):
    generate_dataset(tmp_path, num_classes=2, train_per_class=6, valid_per_class=1,
                     test_per_class=1, image_size=32)
    folder = tmp_path / "train" / "001.Affenpinscher"
    arrays = [np.asarray(Image.open(p), dtype=float) for p in sorted(folder.iterdir())]
    diffs = [np.abs(a - b).mean() for a, b in zip(arrays, arrays[1:], strict=False)]
    assert min(diffs) > 5  # different position, scale, rotation, background and noise


def test_class_count_is_bounded():
    assert class_folders(20)[-1] == "020.Belgian_malinois"
    with pytest.raises(ValueError, match="num_classes"):
        class_folders(21)
    with pytest.raises(ValueError, match="num_classes"):
        class_folders(1)


def test_bad_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError, match="image_size"):
        generate_dataset(tmp_path, num_classes=2, image_size=8)
    with pytest.raises(ValueError, match="at least one image"):
        generate_dataset(tmp_path, num_classes=2, test_per_class=0)
