"""A real model to serve without a training job: ``training_src/train.py`` run for one epoch
on a few synthetic images (resnet18, random init), its model directory packed as the
``model.tar.gz`` a training job uploads. Benchmarks and tests deploy it."""
from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

from workflow.synthetic.generator import generate_dataset

TRAIN_SCRIPT = Path(__file__).resolve().parents[2] / "training_src" / "train.py"


def tiny_model_archive(work: Path, *, classes: int, image_size: int, batch_size: int,
                       timeout: float = 600) -> Path:
    """Train in ``work`` (data, model, output) and return ``work/model.tar.gz``."""
    generate_dataset(work / "data", num_classes=classes, train_per_class=4, valid_per_class=2,
                     test_per_class=2, image_size=image_size, seed=0)
    subprocess.run(
        [sys.executable, str(TRAIN_SCRIPT), "--data-dir", str(work / "data"),
         "--model-dir", str(work / "model"), "--output-data-dir", str(work / "output"),
         "--epochs", "1", "--image-size", str(image_size), "--batch-size", str(batch_size),
         "--num-workers", "0", "--pretrained", "false", "--checkpoint-dir", "none", "--seed", "0"],
        check=True, timeout=timeout, capture_output=True,
    )
    archive = work / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted((work / "model").rglob("*")):
            tar.add(path, arcname=str(path.relative_to(work / "model")), recursive=False)
    return archive
