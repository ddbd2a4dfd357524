"""The smoke test's checks, against answers shaped like the endpoint's (good and bad)."""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from PIL import Image
from smoke_test.checks import pick_images, run_smoke_test

CLASSES = {"001.Affenpinscher", "002.Afghan_hound"}


@pytest.fixture
def test_split(tmp_path: Path) -> str:
    for label in sorted(CLASSES):
        folder = tmp_path / "test" / label
        folder.mkdir(parents=True)
        for i in range(3):
            buf = io.BytesIO()
            Image.new("RGB", (4, 4)).save(buf, "JPEG")
            (folder / f"{label}_{i}.jpg").write_bytes(buf.getvalue())
    (tmp_path / "test" / "notes.txt").write_text("not an image")
    return (tmp_path / "test").as_uri() + "/"


def answer(label: str = "001.Affenpinscher", probs: tuple[float, ...] = (0.7, 0.3)) -> bytes:
    preds = [{"label": label, "probability": probs[0]}] + [
        {"label": "002.Afghan_hound", "probability": p} for p in probs[1:]]
    return json.dumps({"predictions": preds, "model_version": "v1"}).encode()


def test_images_are_picked_across_classes_deterministically(test_split: str) -> None:
    picked = pick_images(test_split, 3)
    assert [label for _, label in picked] == ["001.Affenpinscher", "002.Afghan_hound", "001.Affenpinscher"]
    assert picked == pick_images(test_split, 3)
    assert len(pick_images(test_split, 50)) == 6


def test_a_healthy_endpoint_passes(test_split: str) -> None:
    report = run_smoke_test("ep", lambda body, ct: answer(), pick_images(test_split, 4), CLASSES, 5000)
    assert report["passed"] is True and report["images"] == 4
    assert report["top1_correct"] == 2  # it always answers the first breed
    assert report["latency_ms"]["max"] < 5000


@pytest.mark.parametrize(
    "reply,check,detail",
    [
        (b"<html>oops</html>", "shape", "not JSON"),
        (json.dumps({"label": "x"}).encode(), "shape", 'no "predictions" list'),
        (json.dumps({"predictions": []}).encode(), "shape", "empty"),
        (answer(probs=(1.5,)), "shape", "not in [0, 1]"),
        (answer(probs=(0.2, 0.8)), "shape", "best first"),
        (answer(label="999.Wolf"), "label", "not one of the dataset's breeds"),
    ],
)
def test_bad_answers_fail_the_named_check(test_split: str, reply: bytes, check: str, detail: str) -> None:
    report = run_smoke_test("ep", lambda body, ct: reply, pick_images(test_split, 2), CLASSES, 5000)
    assert report["passed"] is False
    assert report["failures"][0]["check"] == check
    assert detail in report["failures"][0]["detail"]


def test_endpoint_errors_fail_the_status_check(test_split: str) -> None:
    def invoke(body: bytes, content_type: str) -> bytes:
        raise RuntimeError("ModelError: boom")

    report = run_smoke_test("ep", invoke, pick_images(test_split, 2), CLASSES, 5000)
    assert [f["check"] for f in report["failures"]] == ["status", "status"]
    assert "boom" in report["failures"][0]["detail"]


def test_slow_answers_fail_the_latency_check(test_split: str) -> None:
    def invoke(body: bytes, content_type: str) -> bytes:
        time.sleep(0.05)
        return answer()

    report = run_smoke_test("ep", invoke, pick_images(test_split, 2), CLASSES, max_latency_ms=10)
    assert {f["check"] for f in report["failures"]} == {"latency"}


def test_no_images_is_a_failure(tmp_path: Path) -> None:
    report = run_smoke_test("ep", lambda b, c: answer(), [], CLASSES, 1000)
    assert report["passed"] is False and report["failures"][0]["check"] == "images"
