"""The embedded default dataset: synthetic images in the dogImages layout.

``generate_dataset(root, num_classes=5, ...)`` writes ``train/ valid/ test/``
with folders named after the first dogImages breeds (``001.Affenpinscher``,
``002.Afghan_hound``, ...); ``write_zip`` / ``generate_zip`` pack it like
dogImages.zip. Deterministic by seed. The classes are learnable but not
trivial; the dataset checks that learning happens, not model quality.
"""
from workflow.synthetic.breeds import FIRST_BREEDS, MAX_CLASSES, class_folders
from workflow.synthetic.generator import (
    SPLITS,
    SyntheticDataset,
    generate_dataset,
    generate_zip,
    write_zip,
)

__all__ = ["FIRST_BREEDS", "MAX_CLASSES", "SPLITS", "SyntheticDataset", "class_folders",
           "generate_dataset", "generate_zip", "write_zip"]
