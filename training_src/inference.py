"""Serving handlers in the SageMaker PyTorch inference toolkit contract.

The container imports ``code/inference.py`` from the model directory (with
``code/`` on ``sys.path``) and calls, per model and per request::

    model = model_fn(model_dir)                     # once
    data = input_fn(request_body, content_type)
    prediction = predict_fn(data, model)
    body = output_fn(prediction, accept)            # a JSON string

Request bodies: ``image/jpeg``, ``image/png``, ``application/x-image`` (raw
image bytes), or ``application/json`` with ``{"url": "https://..."}`` or
``{"image": "<base64 image bytes>"}`` and an optional ``"top_k"``.

Response (``application/json``)::

    {"predictions": [{"label": "001.Affenpinscher", "breed": "Affenpinscher",
                      "index": 0, "probability": 0.91}, ...],   # best first, top_k of them
     "model_version": "...", "top_k": 5}

Errors are :class:`serving_errors.InferenceError` with ``status_code``:
415 unsupported Content-Type, 406 unsupported Accept, 400 bad input
(undecodable image, bad JSON, refused URL - see url_fetch), 413 body, image
or download too large (``INFERENCE_MAX_BODY_BYTES``, default 10 MiB;
``INFERENCE_MAX_PIXELS``, default 40 megapixels), 500 model load.
"""
from __future__ import annotations

import base64
import binascii
import io
import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import url_fetch
from network import build_model
from PIL import Image, UnidentifiedImageError
from preprocess import eval_transform
from serving_errors import InferenceError
from torch import nn

IMAGE_TYPES = ("image/jpeg", "image/png", "application/x-image")
JSON_TYPE = "application/json"
MAX_BODY_ENV = "INFERENCE_MAX_BODY_BYTES"
MAX_PIXELS_ENV = "INFERENCE_MAX_PIXELS"
DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
MAX_TOP_K = 20


class BreedClassifier(nn.Module):
    """The network with what serving needs beside it: classes, config, transform."""

    def __init__(self, network: nn.Module, classes: list[str], config: dict[str, Any]) -> None:
        super().__init__()
        self.network = network
        self.classes = classes
        self.config = config
        self.transform = eval_transform(config["image_size"], config.get("resize_size"),
                                        config["mean"], config["std"])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.network(images)


@dataclass
class ImageRequest:
    image: Image.Image
    top_k: int | None = None


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def model_fn(model_dir: str) -> BreedClassifier:
    root = Path(model_dir)
    try:
        config = json.loads((root / "model_config.json").read_text(encoding="utf-8"))
        mapping = json.loads((root / "classes.json").read_text(encoding="utf-8"))
        classes = [mapping[str(i)] for i in range(len(mapping))]
        if len(classes) != config["num_classes"]:
            raise ValueError(f"classes.json has {len(classes)} classes, model_config.json "
                             f"says {config['num_classes']}")
        network = build_model(config["arch"], config["num_classes"], pretrained=False)
        state = torch.load(root / "model.pth", map_location="cpu", weights_only=True)
        network.load_state_dict(state)
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, EOFError,
            pickle.UnpicklingError) as exc:
        raise InferenceError(500, f"cannot load the model from {model_dir}: {exc}") from exc
    model = BreedClassifier(network, classes, config)
    return model.to(_device()).eval()


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _limit(env: str, default: int) -> int:
    try:
        return int(os.environ.get(env, default))
    except ValueError:
        return default


def decode_image(data: bytes) -> Image.Image:
    max_pixels = _limit(MAX_PIXELS_ENV, DEFAULT_MAX_PIXELS)
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > max_pixels:
            raise InferenceError(413, f"image is {image.width}x{image.height}, over the "
                                      f"{max_pixels}-pixel limit")
        image.load()
        return image.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise InferenceError(413, f"image is too large to decode: {exc}") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InferenceError(400, f"cannot decode the request body as an image: {exc}") from exc


def input_fn(request_body: bytes | str, content_type: str) -> ImageRequest:
    media = _media_type(content_type)
    if media not in IMAGE_TYPES and media != JSON_TYPE:
        raise InferenceError(415, f"unsupported content type {content_type!r}; use one of "
                                  f"{', '.join(IMAGE_TYPES + (JSON_TYPE,))}")
    body = request_body.encode("utf-8") if isinstance(request_body, str) else bytes(request_body)
    max_body = _limit(MAX_BODY_ENV, DEFAULT_MAX_BODY)
    if len(body) > max_body:
        raise InferenceError(413, f"request body is {len(body)} bytes, over the "
                                  f"{max_body}-byte limit")
    if not body:
        raise InferenceError(400, "request body is empty")
    if media in IMAGE_TYPES:
        return ImageRequest(decode_image(body))
    return _json_request(body, max_body)


def _json_request(body: bytes, max_body: int) -> ImageRequest:
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InferenceError(400, f"request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict) or ("url" in payload) == ("image" in payload):
        raise InferenceError(400, 'JSON body must be an object with exactly one of '
                                  '"url" or "image" (base64)')
    top_k = payload.get("top_k")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int)
                              or not 1 <= top_k <= MAX_TOP_K):
        raise InferenceError(400, f'"top_k" must be an integer from 1 to {MAX_TOP_K}')
    if "url" in payload:
        if not isinstance(payload["url"], str):
            raise InferenceError(400, '"url" must be a string')
        data = url_fetch.fetch(payload["url"])
    else:
        if not isinstance(payload["image"], str):
            raise InferenceError(400, '"image" must be a base64 string')
        try:
            data = base64.b64decode(payload["image"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InferenceError(400, f'"image" is not valid base64: {exc}') from exc
        if len(data) > max_body:
            raise InferenceError(413, f"image is {len(data)} bytes, over the "
                                      f"{max_body}-byte limit")
    return ImageRequest(decode_image(data), top_k)


def predict_fn(data: ImageRequest, model: BreedClassifier) -> dict[str, Any]:
    device = next(model.parameters()).device
    batch = model.transform(data.image).unsqueeze(0).to(device)
    with torch.inference_mode():
        probabilities = torch.softmax(model(batch).float(), dim=1)[0].cpu()
    k = min(data.top_k or model.config.get("top_k", 5), len(model.classes))
    values, indices = torch.topk(probabilities, k)
    predictions = [{"label": model.classes[i], "breed": _breed(model.classes[i]),
                    "index": int(i), "probability": round(float(p), 6)}
                   for p, i in zip(values.tolist(), indices.tolist(), strict=True)]
    return {"predictions": predictions, "model_version": model.config.get("model_version", ""),
            "top_k": k}


def _breed(label: str) -> str:
    # "001.Affenpinscher" -> "Affenpinscher"; "013.Australian_terrier" -> "Australian terrier"
    name = label.split(".", 1)[1] if "." in label and label.split(".", 1)[0].isdigit() else label
    return name.replace("_", " ")


def output_fn(prediction: dict[str, Any], accept: str | None) -> str:
    media = _media_type(accept)
    if media not in ("", "*/*", JSON_TYPE, "application/*"):
        raise InferenceError(406, f"unsupported accept type {accept!r}; use {JSON_TYPE}")
    return json.dumps(prediction)
