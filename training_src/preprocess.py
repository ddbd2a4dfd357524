"""Image preprocessing shared by training and serving.

Training and inference build their evaluation transform with the same
function from the values saved in ``model_config.json``, so a served image
goes through exactly what the validation and test images went through:
resize the short side to ``resize_size``, centre-crop ``image_size``, scale
to [0, 1] and normalise with the ImageNet mean and std (the statistics the
torchvision weights were trained with). Augmentation is train-time only.
"""
from __future__ import annotations

from collections.abc import Sequence

from torchvision import transforms

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)


def default_resize_size(image_size: int) -> int:
    # torchvision's reference resizes to 256 before a 224 crop; keep the ratio.
    return max(image_size, round(image_size * 256 / 224))


def eval_transform(image_size: int, resize_size: int | None = None,
                   mean: Sequence[float] = IMAGENET_MEAN,
                   std: Sequence[float] = IMAGENET_STD) -> transforms.Compose:
    return transforms.Compose([
        transforms.Lambda(_to_rgb),
        transforms.Resize(resize_size or default_resize_size(image_size), antialias=True),
        transforms.CenterCrop(image_size),
        transforms.ToTensor(),
        transforms.Normalize(list(mean), list(std)),
    ])


def train_transform(image_size: int, mean: Sequence[float] = IMAGENET_MEAN,
                    std: Sequence[float] = IMAGENET_STD) -> transforms.Compose:
    return transforms.Compose([
        transforms.Lambda(_to_rgb),
        transforms.RandomResizedCrop(image_size, scale=(0.5, 1.0), antialias=True),
        transforms.RandomHorizontalFlip(),
        transforms.ColorJitter(brightness=0.2, contrast=0.2),
        transforms.ToTensor(),
        transforms.Normalize(list(mean), list(std)),
    ])


def _to_rgb(image):  # a module-level function so DataLoader workers can pickle it
    return image if image.mode == "RGB" else image.convert("RGB")
