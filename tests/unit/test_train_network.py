"""The ResNet builder: architectures, frozen layers, and the offline pretrained error."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

from network import PretrainedWeightsUnavailable, build_model  # noqa: E402


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


def test_pretrained_without_network_gives_a_clear_error(tmp_path, monkeypatch):
    # An empty weights cache and a proxy nobody listens on: the download fails at once.
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(PretrainedWeightsUnavailable) as err:
        build_model("resnet18", 4, pretrained=True)
    message = str(err.value)
    assert "resnet18" in message and "--pretrained false" in message
    assert "download.pytorch.org" in message
