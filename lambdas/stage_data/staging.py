"""Stage a dataset zip under the data prefix, once per distinct content.

The staged copy lives at ``<data_prefix>/datasets/<sha256[:16]>/`` with the
splits beside a ``manifest.json`` that is written last: a manifest means the
upload finished, so a retried or repeated run skips it, and a run cut off
half-way uploads again.
"""
from __future__ import annotations

import hashlib
import json
import tempfile
import zipfile
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from shared import storage
from shared.fetch import fetch

from stage_data.dataset_zip import DatasetLayout, ImageEntry, read_layout

MAX_ZIP_BYTES = 8 << 30  # dogImages is about 1.1 GB
#: Within boto3's default connection pool (10): more threads open and drop connections.
UPLOAD_THREADS = 8


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_images(archive: zipfile.ZipFile, images: list[ImageEntry], dest: str) -> None:
    """Upload every image, UPLOAD_THREADS at a time. ZipFile is not safe to read from
    several threads, so this thread reads and keeps the pool fed: an image is read while
    the others upload, never all of them waiting for the slowest of a batch."""
    with ThreadPoolExecutor(UPLOAD_THREADS) as pool:
        pending: set[Future[None]] = set()
        for image in images:
            if len(pending) >= 2 * UPLOAD_THREADS:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for upload in done:
                    upload.result()  # the first failure stops the staging
            pending.add(pool.submit(storage.write_bytes, storage.join(dest, image.relative),
                                    archive.read(image.name), "image/jpeg"))
        for upload in pending:
            upload.result()


def _manifest(layout: DatasetLayout, checksum: str, source: str, dest: str) -> dict[str, Any]:
    return {
        "checksum": checksum,
        "source_uri": source,
        "dataset_uri": dest + "/",
        "classes": layout.classes,
        "num_classes": len(layout.classes),
        "counts": layout.counts(),
        "class_counts": layout.class_counts(),
        "staged_at": datetime.now(timezone.utc).isoformat(),
    }


def _result(manifest: dict[str, Any], manifest_uri: str, skipped: bool) -> dict[str, Any]:
    """The keys the state machine reads (kept small: the class list stays in the manifest)."""
    root = manifest["dataset_uri"].rstrip("/")
    return {
        "checksum": manifest["checksum"],
        "skipped": skipped,
        "manifest_uri": manifest_uri,
        "dataset_uri": root + "/",
        "train_uri": root + "/train/",
        "valid_uri": root + "/valid/",
        "test_uri": root + "/test/",
        "num_classes": manifest["num_classes"],
        "counts": manifest["counts"],
    }


def stage_dataset(dataset_uri: str, data_prefix: str, workdir: Path | None = None) -> dict[str, Any]:
    storage.scheme(data_prefix)  # reject an unusable destination before downloading
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        local_zip = Path(tmp) / "dataset.zip"
        fetch(dataset_uri, local_zip, max_bytes=MAX_ZIP_BYTES)
        checksum = sha256_of(local_zip)
        dest = storage.join(data_prefix, "datasets", checksum[:16])
        manifest_uri = storage.join(dest, "manifest.json")
        if storage.exists(manifest_uri):
            staged = json.loads(storage.read_bytes(manifest_uri))
            if staged.get("checksum") == checksum:
                return _result(staged, manifest_uri, skipped=True)
        try:
            archive = zipfile.ZipFile(local_zip)
        except zipfile.BadZipFile as err:
            from stage_data.dataset_zip import DatasetError

            raise DatasetError(f"{dataset_uri} is not a zip archive: {err}") from err
        with archive:
            layout = read_layout(archive)
            _upload_images(archive, layout.images, dest)
        manifest = _manifest(layout, checksum, dataset_uri, dest)
        storage.write_bytes(manifest_uri, json.dumps(manifest, indent=2).encode(), "application/json")
        return _result(manifest, manifest_uri, skipped=False)
