"""Class folder names: the first breeds of the dogImages dataset, in its numbering."""
from __future__ import annotations

FIRST_BREEDS: tuple[str, ...] = (
    "Affenpinscher", "Afghan_hound", "Airedale_terrier", "Akita", "Alaskan_malamute",
    "American_eskimo_dog", "American_foxhound", "American_staffordshire_terrier",
    "American_water_spaniel", "Anatolian_shepherd_dog", "Australian_cattle_dog",
    "Australian_shepherd", "Australian_terrier", "Basenji", "Basset_hound", "Beagle",
    "Bearded_collie", "Beauceron", "Bedlington_terrier", "Belgian_malinois",
)
MAX_CLASSES = len(FIRST_BREEDS)


def class_folders(num_classes: int) -> list[str]:
    """``["001.Affenpinscher", "002.Afghan_hound", ...]`` for the first ``num_classes`` breeds."""
    if not 2 <= num_classes <= MAX_CLASSES:
        raise ValueError(f"num_classes must be from 2 to {MAX_CLASSES}, got {num_classes}")
    return [f"{i + 1:03d}.{name}" for i, name in enumerate(FIRST_BREEDS[:num_classes])]
