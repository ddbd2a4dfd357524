"""inference.py handlers: content types, JSON body, limits and error statuses."""
from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

import inference
import url_fetch
from model_dir import model_config, save_model_dir
from network import build_model
from preprocess import IMAGENET_MEAN, IMAGENET_STD, eval_transform
from serving_errors import InferenceError

CLASSES = ["001.Affenpinscher", "002.Afghan_hound", "003.Airedale_terrier"]


def _image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    root = tmp_path_factory.mktemp("model")
    config = model_config("resnet18", CLASSES, 32, 37, IMAGENET_MEAN, IMAGENET_STD, 2, "v-test")
    save_model_dir(root, build_model("resnet18", len(CLASSES)), CLASSES, config)
    return root


@pytest.fixture(scope="module")
def model(model_dir):
    return inference.model_fn(str(model_dir))


def _status(call, *args) -> int:
    with pytest.raises(InferenceError) as err:
        call(*args)
    assert str(err.value)  # every error says what is wrong
    return err.value.status_code


@pytest.mark.parametrize("content_type, fmt", [
    ("image/jpeg", "JPEG"), ("image/png", "PNG"), ("application/x-image", "PNG"),
    ("image/jpeg; charset=binary", "JPEG"),
])
def test_image_content_types_round_trip(model, content_type, fmt):
    data = inference.input_fn(_image_bytes(fmt), content_type)
    body = json.loads(inference.output_fn(inference.predict_fn(data, model), "application/json"))
    assert body["model_version"] == "v-test" and body["top_k"] == 2
    assert [p["label"] for p in body["predictions"]] != [] and len(body["predictions"]) == 2
    assert all(p["label"] in CLASSES for p in body["predictions"])
    probs = [p["probability"] for p in body["predictions"]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    first = body["predictions"][0]
    assert first["breed"] == first["label"].split(".", 1)[1].replace("_", " ")


def test_json_base64_with_top_k(model):
    payload = {"image": base64.b64encode(_image_bytes()).decode(), "top_k": 3}
    data = inference.input_fn(json.dumps(payload), "application/json")
    assert data.top_k == 3
    assert len(inference.predict_fn(data, model)["predictions"]) == 3


def test_probabilities_match_the_network_on_the_serving_transform(model):
    raw = _image_bytes("PNG")
    prediction = inference.predict_fn(inference.input_fn(raw, "image/png"), model)
    x = eval_transform(32, 37)(Image.open(io.BytesIO(raw))).unsqueeze(0)
    with torch.inference_mode():
        expected = torch.softmax(model.network(x), 1)[0]
    top = prediction["predictions"][0]
    assert top["index"] == int(expected.argmax())
    assert top["probability"] == pytest.approx(float(expected.max()), abs=1e-5)


def test_unsupported_content_type_is_415():
    assert _status(inference.input_fn, b"hello", "text/plain") == 415


def test_unsupported_accept_is_406(model):
    prediction = inference.predict_fn(inference.input_fn(_image_bytes(), "image/jpeg"), model)
    assert _status(inference.output_fn, prediction, "text/csv") == 406
    assert json.loads(inference.output_fn(prediction, "*/*"))["top_k"] == 2


@pytest.mark.parametrize("body, content_type", [
    (b"not an image", "image/jpeg"), (b"", "image/png"), (b"{bad json", "application/json"),
    (json.dumps({"image": "***"}).encode(), "application/json"),
    (json.dumps({"image": base64.b64encode(b"junk").decode()}).encode(), "application/json"),
    (json.dumps({"nothing": 1}).encode(), "application/json"),
    (json.dumps({"url": "x", "image": "y"}).encode(), "application/json"),
    (json.dumps({"image": "aGk=", "top_k": 0}).encode(), "application/json"),
    (json.dumps(["a"]).encode(), "application/json"),
])
def test_bad_input_is_400(body, content_type):
    assert _status(inference.input_fn, body, content_type) == 400


def test_oversized_body_is_413(monkeypatch):
    monkeypatch.setenv(inference.MAX_BODY_ENV, "1000")
    assert _status(inference.input_fn, _image_bytes("PNG", (400, 400)) + b"\0" * 1000,
                   "image/png") == 413


def test_too_many_pixels_is_413(monkeypatch):
    monkeypatch.setenv(inference.MAX_PIXELS_ENV, "10000")
    assert _status(inference.input_fn, _image_bytes("PNG", (200, 200)), "image/png") == 413


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.com/a.jpg", "gopher://x", "http:///nohost",
    "http://user:pw@example.com/a.jpg",
    "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:1/a.jpg",
    "http://localhost/a.jpg", "http://10.0.0.1/a.jpg", "http://192.168.1.1/a.jpg",
    "http://[::1]/a.jpg", "http://[fe80::1]/a.jpg", "http://0.0.0.0/a.jpg",
    "http://[::ffff:169.254.169.254]/a.jpg", "http://100.64.0.1/a.jpg",
])
def test_refused_urls_are_400_without_a_connection(url, monkeypatch):
    monkeypatch.delenv(url_fetch.ALLOW_PRIVATE_ENV, raising=False)

    def no_connection(*args, **kwargs):
        raise AssertionError("a refused URL must not be connected to")

    monkeypatch.setattr(url_fetch.socket, "create_connection", no_connection)
    body = json.dumps({"url": url})
    assert _status(inference.input_fn, body, "application/json") == 400


def test_model_load_failure_is_500(tmp_path, model_dir):
    assert _status(inference.model_fn, str(tmp_path)) == 500
    broken = tmp_path / "broken"
    broken.mkdir()
    for name in ("model_config.json", "classes.json"):
        (broken / name).write_bytes((model_dir / name).read_bytes())
    (broken / "model.pth").write_bytes(b"not torch")
    assert _status(inference.model_fn, str(broken)) == 500
