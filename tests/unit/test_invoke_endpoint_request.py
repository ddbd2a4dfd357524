"""The inference Lambda's request parsing: every bad request gets a 400 reason."""
from __future__ import annotations

import base64
import io
import json

import pytest
from invoke_endpoint.request import MAX_PAYLOAD, BadRequest, from_api_request
from PIL import Image


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, fmt)
    return buf.getvalue()


def test_url_is_forwarded_as_json() -> None:
    req = from_api_request(json.dumps({"url": "https://example.org/dog.jpg"}), False, "application/json")
    assert req.content_type == "application/json"
    assert json.loads(req.body) == {"url": "https://example.org/dog.jpg"}


@pytest.mark.parametrize("fmt,media", [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_base64_image_in_json_is_decoded_and_typed(fmt: str, media: str) -> None:
    raw = _image(fmt)
    req = from_api_request(json.dumps({"image": base64.b64encode(raw).decode()}), False, None)
    assert req.body == raw and req.content_type == media


def test_binary_body_from_api_gateway() -> None:
    raw = _image("PNG")
    req = from_api_request(base64.b64encode(raw).decode(), True, "image/png")
    assert req.body == raw and req.content_type == "image/png"


@pytest.mark.parametrize(
    "body,is_b64,ctype,reason",
    [
        (None, False, None, "send JSON"),
        ("{not json", False, "application/json", "not valid JSON"),
        ("[1, 2]", False, "application/json", "must be an object"),
        ('{"picture": "x"}', False, "application/json", 'field "url" or "image"'),
        ('{"url": "ftp://example.org/a.jpg"}', False, "application/json", "http:// or https://"),
        ('{"url": "file:///etc/passwd"}', False, "application/json", "http:// or https://"),
        ('{"image": "***"}', False, "application/json", "not valid base64"),
        (json.dumps({"image": base64.b64encode(b"GIF89a....").decode()}), False, None, "neither JPEG nor PNG"),
    ],
)
def test_bad_requests_name_the_reason(body, is_b64, ctype, reason) -> None:
    with pytest.raises(BadRequest, match=reason):
        from_api_request(body, is_b64, ctype)


def test_oversized_image_is_refused() -> None:
    raw = b"\xff\xd8" + b"0" * MAX_PAYLOAD
    with pytest.raises(BadRequest, match="the limit is"):
        from_api_request(json.dumps({"image": base64.b64encode(raw).decode()}), False, None)
