"""The ResNet builder: architectures, frozen layers, and the offline pretrained error."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

from network import build_model


@pytest.mark.parametrize("layers, trainable_prefixes", [
    ("fc", {"fc"}), ("layer4", {"fc", "layer4"}),
    ("all", {"conv1", "bn1", "layer1", "layer2", "layer3", "layer4", "fc"}),
])
def test_train_layers_pick_what_learns(layers, trainable_prefixes):
    model = build_model("resnet18", 4, train_layers=layers)
    trainable = {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == trainable_prefixes
    assert model.fc.out_features == 4


def test_unknown_arch_and_layers_are_refused():
    with pytest.raises(ValueError, match="arch"):
        build_model("vgg16", 4)
    with pytest.raises(ValueError, match="train-layers"):
        build_model("resnet18", 4, train_layers="layer9")


# The pretrained download failure is tested through train.py in a subprocess
# (tests/integration/test_training.py): urllib's global opener keeps the proxy
# settings of the first download, so doing it in this process would leak them.
