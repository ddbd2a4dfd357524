"""Turns an API Gateway request into the (body, content type) the endpoint accepts."""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import urlparse

MAX_PAYLOAD = 6 * 1024 * 1024  # SageMaker's InvokeEndpoint request limit
IMAGE_TYPES = ("image/jpeg", "image/png", "application/x-image")


class BadRequest(Exception):
    """The client's request is unusable: becomes a 400 with this message."""


@dataclass
class EndpointRequest:
    body: bytes
    content_type: str


def _sniff(image: bytes) -> str:
    if image.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if image.startswith(b"\xff\xd8"):
        return "image/jpeg"
    raise BadRequest("the image is neither JPEG nor PNG")


def _limit(body: bytes) -> bytes:
    if len(body) > MAX_PAYLOAD:
        raise BadRequest(f"the image is {len(body)} bytes; the limit is {MAX_PAYLOAD}")
    return body


def from_api_request(body: str | None, is_base64: bool, content_type: str | None) -> EndpointRequest:
    if not body:
        raise BadRequest('send JSON {"url": "https://..."} or {"image": "<base64>"}, or an image body')
    media = (content_type or "application/json").split(";")[0].strip().lower()
    if media in IMAGE_TYPES:
        raw = _decode(body) if is_base64 else body.encode("latin-1")
        return EndpointRequest(_limit(raw), _sniff(raw))
    text = _decode(body).decode("utf-8", "replace") if is_base64 else body
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise BadRequest(f"the body is not valid JSON: {err.msg} at position {err.pos}") from err
    if not isinstance(doc, dict):
        raise BadRequest('the JSON body must be an object with "url" or "image"')
    if isinstance(doc.get("url"), str):
        if urlparse(doc["url"]).scheme not in ("http", "https"):
            raise BadRequest("url must be an http:// or https:// address")
        return EndpointRequest(json.dumps({"url": doc["url"]}).encode(), "application/json")
    if isinstance(doc.get("image"), str):
        raw = _decode(doc["image"])
        return EndpointRequest(_limit(raw), _sniff(raw))
    raise BadRequest('the JSON body needs a string field "url" or "image" (base64)')


def _decode(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise BadRequest(f"image is not valid base64: {err}") from err
