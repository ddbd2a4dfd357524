"""The dataset check of StageData: every bad archive is refused with the entry named."""
from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from stage_data.dataset_zip import DatasetError, read_layout
from stage_data.staging import stage_dataset

BREEDS = ("001.Affenpinscher", "002.Afghan_hound", "003.Airedale_terrier")


def _jpeg(color: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (color, 0, 0)).save(buf, "JPEG")
    return buf.getvalue()


def make_zip(path: Path, *, root: str = "dogImages/", classes: dict[str, tuple[str, ...]] | None = None,
             extra: dict[str, bytes] | None = None, per_class: int = 2) -> Path:
    classes = classes or {split: BREEDS for split in ("train", "valid", "test")}
    with zipfile.ZipFile(path, "w") as zf:
        for split, labels in classes.items():
            for label in labels:
                for i in range(per_class):
                    zf.writestr(f"{root}{split}/{label}/{label}_{i:03d}.jpg", _jpeg(10 * i))
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def layout_of(path: Path):
    with zipfile.ZipFile(path) as zf:
        return read_layout(zf)


def test_good_archive_lists_classes_and_counts(tmp_path: Path) -> None:
    layout = layout_of(make_zip(tmp_path / "d.zip", extra={"dogImages/README.txt": b"hi"}))
    assert layout.classes == list(BREEDS)
    assert layout.counts() == {"train": 6, "valid": 6, "test": 6}
    assert layout.class_counts()["valid"]["002.Afghan_hound"] == 2


def test_archive_without_root_folder_is_accepted(tmp_path: Path) -> None:
    assert layout_of(make_zip(tmp_path / "d.zip", root="")).counts()["train"] == 6


@pytest.mark.parametrize("entry", ["../evil.jpg", "/etc/passwd", "dogImages/train/../../x.jpg", "a\\..\\b.jpg"])
def test_path_traversal_is_refused_naming_the_entry(tmp_path: Path, entry: str) -> None:
    path = make_zip(tmp_path / "d.zip", extra={entry: b"x"})
    with pytest.raises(DatasetError, match="unsafe path") as err:
        layout_of(path)
    assert repr(entry) in str(err.value)


def test_symlink_entry_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "d.zip")
    with zipfile.ZipFile(path, "a") as zf:
        info = zipfile.ZipInfo("dogImages/train/001.Affenpinscher/link.jpg")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DatasetError, match="symbolic link"):
        layout_of(path)


def test_archive_without_images_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes/readme.txt", b"nothing here")
    with pytest.raises(DatasetError, match="no train/valid/test folders"):
        layout_of(path)


def test_missing_split_is_named(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "d.zip", classes={"train": BREEDS, "valid": BREEDS})
    with pytest.raises(DatasetError, match="split 'test' is missing"):
        layout_of(path)


def test_mismatched_classes_name_the_split_and_class(tmp_path: Path) -> None:
    classes = {"train": BREEDS, "valid": BREEDS[:2], "test": BREEDS}
    with pytest.raises(DatasetError, match=r"split 'valid' do not match train: missing 003\.Airedale_terrier"):
        layout_of(make_zip(tmp_path / "d.zip", classes=classes))


def test_unreadable_image_is_named(tmp_path: Path) -> None:
    bad = "dogImages/test/001.Affenpinscher/broken.jpg"
    path = make_zip(tmp_path / "d.zip", extra={bad: b"\xff\xd8 not really a jpeg"})
    with pytest.raises(DatasetError, match="unreadable image") as err:
        layout_of(path)
    assert bad in str(err.value)


def test_staging_writes_splits_and_manifest_then_skips_the_same_zip(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "d.zip")
    prefix = (tmp_path / "data").as_uri()
    first = stage_dataset(source.as_uri(), prefix)
    assert first["skipped"] is False
    root = Path(first["dataset_uri"].removeprefix("file://"))
    assert sorted(p.name for p in root.iterdir()) == ["manifest.json", "test", "train", "valid"]
    assert len(list((root / "train").rglob("*.jpg"))) == 6
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["classes"] == list(BREEDS) and manifest["checksum"] == first["checksum"]

    marker = root / "train" / BREEDS[0] / "marker"
    marker.write_text("kept")  # a re-upload would not touch this, but a skip must not either
    again = stage_dataset(source.as_uri(), prefix)
    assert again["skipped"] is True and again["manifest_uri"] == first["manifest_uri"]
    assert marker.read_text() == "kept"


def test_staging_a_bad_zip_stores_nothing(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "d.zip", extra={"dogImages/valid/999.Unknown/x.jpg": _jpeg(1)})
    with pytest.raises(DatasetError, match="999.Unknown"):
        stage_dataset(source.as_uri(), (tmp_path / "data").as_uri())
    assert not (tmp_path / "data").exists()


def test_not_a_zip_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "d.zip"
    bogus.write_bytes(b"PK? no")
    with pytest.raises(DatasetError, match="not a zip archive"):
        stage_dataset(bogus.as_uri(), (tmp_path / "data").as_uri())
