"""The classifier: a torchvision ResNet with a new final layer.

``--train-layers`` picks what learns: ``fc`` (the new head only, for
pretrained features), ``layer4`` (the last residual stage and the head) or
``all``. ImageNet weights come from torchvision's own weight enums; when
they cannot be downloaded the job fails with :class:`PretrainedWeightsUnavailable`.
"""
from __future__ import annotations

from torch import nn
from torchvision import models

ARCHITECTURES: dict[str, tuple] = {
    "resnet18": (models.resnet18, models.ResNet18_Weights.IMAGENET1K_V1),
    "resnet34": (models.resnet34, models.ResNet34_Weights.IMAGENET1K_V1),
    "resnet50": (models.resnet50, models.ResNet50_Weights.IMAGENET1K_V2),
}
TRAIN_LAYERS = ("fc", "layer4", "all")


class PretrainedWeightsUnavailable(RuntimeError):
    """ImageNet weights were asked for and could not be downloaded."""


def build_model(arch: str, num_classes: int, pretrained: bool = False,
                train_layers: str = "all") -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)}, got {arch!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    factory, weights = ARCHITECTURES[arch]
    if pretrained:
        try:
            model = factory(weights=weights)
        except (OSError, RuntimeError, ValueError) as exc:  # URLError is an OSError
            raise PretrainedWeightsUnavailable(
                f"--pretrained true: could not download the ImageNet weights for {arch} "
                f"from {weights.url} ({exc}). Give the job network access, put the file in "
                f"$TORCH_HOME/hub/checkpoints, or use --pretrained false.") from exc
    else:
        model = factory(weights=None)
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    set_trainable(model, train_layers)
    return model


def set_trainable(model: nn.Module, train_layers: str) -> None:
    if train_layers not in TRAIN_LAYERS:
        raise ValueError(f"train-layers must be one of {TRAIN_LAYERS}, got {train_layers!r}")
    prefixes = {"fc": ("fc.",), "layer4": ("layer4.", "fc."), "all": ("",)}[train_layers]
    for name, param in model.named_parameters():
        param.requires_grad = name.startswith(prefixes)
