"""Writes the model directory: everything inference needs, nothing else.

``<model-dir>/`` (packed as model.tar.gz by SageMaker)::

    model.pth           state_dict of the network (CPU tensors)
    classes.json        {"0": "001.Affenpinscher", "1": "002.Afghan_hound", ...}
    model_config.json   {"arch", "num_classes", "image_size", "resize_size",
                         "mean", "std", "top_k", "model_version", "format_version",
                         "framework": {"torch", "torchvision"}}
    code/               inference.py and the modules it imports; the SageMaker
                        PyTorch inference container loads code/inference.py

The class at index i is the i-th sorted class folder of the training data.
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import torch
import torchvision
from torch import nn

WEIGHTS_FILE = "model.pth"
CLASSES_FILE = "classes.json"
CONFIG_FILE = "model_config.json"
FORMAT_VERSION = 1
# inference.py and everything it imports from this folder.
SERVING_MODULES = ("inference.py", "preprocess.py", "network.py", "url_fetch.py",
                   "serving_errors.py")


def model_config(arch: str, classes: Sequence[str], image_size: int, resize_size: int,
                 mean: Sequence[float], std: Sequence[float], top_k: int,
                 model_version: str) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "arch": arch,
        "num_classes": len(classes),
        "image_size": image_size,
        "resize_size": resize_size,
        "mean": list(mean),
        "std": list(std),
        "top_k": min(top_k, len(classes)),
        "model_version": model_version,
        "framework": {"torch": torch.__version__, "torchvision": torchvision.__version__},
    }


def save_model_dir(model_dir: str | Path, model: nn.Module, classes: Sequence[str],
                   config: Mapping[str, Any]) -> Path:
    root = Path(model_dir)
    root.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, root / WEIGHTS_FILE)
    (root / CLASSES_FILE).write_text(
        json.dumps({str(i): name for i, name in enumerate(classes)}, indent=2), encoding="utf-8")
    (root / CONFIG_FILE).write_text(json.dumps(dict(config), indent=2), encoding="utf-8")
    code = root / "code"
    code.mkdir(exist_ok=True)
    here = Path(__file__).parent
    for name in SERVING_MODULES:
        shutil.copy2(here / name, code / name)
    return root
