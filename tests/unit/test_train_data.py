"""The data layout check and the split loaders (test is never trained on)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

import breed_data
from failure import failure_path, report_failure
from preprocess import eval_transform

from workflow.synthetic import generate_dataset


@pytest.fixture()
def dataset(tmp_path: Path) -> Path:
    generate_dataset(tmp_path / "data", num_classes=3, train_per_class=3, valid_per_class=2,
                     test_per_class=2, image_size=32, seed=1)
    return tmp_path / "data"


def _dirs(root: Path) -> dict[str, Path]:
    return breed_data.resolve_split_dirs(str(root))


def test_layout_gives_sorted_classes(dataset):
    assert breed_data.check_layout(_dirs(dataset)) == [
        "001.Affenpinscher", "002.Afghan_hound", "003.Airedale_terrier"]


@pytest.mark.parametrize("split", ["train", "valid", "test"])
def test_missing_split_is_named(dataset, split):
    shutil.rmtree(dataset / split)
    with pytest.raises(breed_data.DataLayoutError, match=f"missing '{split}' split"):
        breed_data.check_layout(_dirs(dataset))


def test_mismatched_class_folders_are_named(dataset):
    shutil.rmtree(dataset / "valid" / "002.Afghan_hound")
    (dataset / "valid" / "099.Mystery").mkdir()
    with pytest.raises(breed_data.DataLayoutError) as err:
        breed_data.check_layout(_dirs(dataset))
    message = str(err.value)
    assert "'valid'" in message and "002.Afghan_hound" in message and "099.Mystery" in message


def test_class_folder_without_images_is_named(dataset):
    for f in (dataset / "test" / "003.Airedale_terrier").iterdir():
        f.unlink()
    with pytest.raises(breed_data.DataLayoutError, match="003.Airedale_terrier"):
        breed_data.check_layout(_dirs(dataset))


def test_separate_channels_win_and_may_hold_the_split_folder(dataset, tmp_path):
    dirs = breed_data.resolve_split_dirs(None, str(dataset), str(dataset / "valid"),
                                         str(dataset / "test"))
    assert dirs == {"train": dataset / "train", "valid": dataset / "valid",
                    "test": dataset / "test"}


def test_train_loader_reads_only_train_and_eval_splits_use_the_serving_transform(dataset):
    dirs = _dirs(dataset)
    datasets = breed_data.build_datasets(dirs, image_size=24)
    loaders = breed_data.build_loaders(datasets, batch_size=4, num_workers=0, seed=0)
    for split in breed_data.SPLITS:
        roots = {Path(path).parent.parent for path, _ in loaders[split].dataset.samples}
        assert roots == {dirs[split]}
    train_files = {p for p, _ in datasets["train"].samples}
    assert train_files.isdisjoint(p for p, _ in datasets["test"].samples)
    assert sum(len(y) for _, y in loaders["train"]) == len(datasets["train"])
    # valid/test images are exactly what inference computes for the same file
    from PIL import Image
    path, _ = datasets["test"].samples[0]
    x, _ = datasets["test"][0]
    assert torch.equal(x, eval_transform(24)(Image.open(path)))


def test_failure_file_from_environment(tmp_path):
    target = tmp_path / "failure"
    assert failure_path({"SM_OUTPUT_FAILURE": str(target)}) == target
    assert failure_path({"SM_OUTPUT_DIR": str(tmp_path)}) == tmp_path / "failure"
    assert failure_path({"SM_OUTPUT_DIR": str(tmp_path / "absent")}) is None
    report_failure("first line\n  second   line", {"SM_OUTPUT_FAILURE": str(target)})
    assert target.read_text() == "first line second line\n"


def test_every_split_is_normalised_with_imagenet_statistics(dataset):
    from preprocess import IMAGENET_MEAN, IMAGENET_STD
    from torchvision import transforms
    datasets = breed_data.build_datasets(_dirs(dataset), image_size=24)
    for split, ds in datasets.items():
        [norm] = [t for t in ds.transform.transforms if isinstance(t, transforms.Normalize)]
        assert tuple(norm.mean) == IMAGENET_MEAN and tuple(norm.std) == IMAGENET_STD, split
    augmenting = {type(t) for t in datasets["train"].transform.transforms}
    assert transforms.RandomResizedCrop in augmenting
    for split in ("valid", "test"):
        kinds = {type(t) for t in datasets[split].transform.transforms}
        assert transforms.RandomResizedCrop not in kinds
