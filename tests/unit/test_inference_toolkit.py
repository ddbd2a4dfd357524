"""inference.py served by the PyTorch inference container's handler service, in this process.

The handler service (sagemaker-pytorch-inference) runs the program through the SageMaker
inference toolkit exactly as the container does: an error keeps its HTTP status only if it
is one of the toolkit's error types, anything else is answered with 500.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from tests.unit.test_inference import model_dir  # noqa: F401 - fixture
from workflow.local.sagemaker.hosting.serve import Handler


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (20, 90, 160)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(scope="module")
def handler(model_dir: Path) -> Handler:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SAGEMAKER_PROGRAM", "inference.py")  # restored after the model loads
        patch.syspath_prepend(str(model_dir / "code"))
        return Handler(model_dir, model_dir / "code", "inference.py")


def test_an_answer_comes_back_as_json(handler: Handler) -> None:
    context, body = handler(_image("JPEG"), {"Content-Type": "image/jpeg"})
    assert (context.status, context.content_type) == (200, "application/json")
    assert len(json.loads(body)["predictions"]) == 2


@pytest.mark.parametrize("body, headers, status", [
    (_image("PNG"), {"Content-Type": "text/plain"}, 415),
    # The toolkit decodes a text/csv (or JSON) body as UTF-8 before input_fn sees it: an
    # image sent as CSV fails there, and that is no toolkit error, so the container says 500.
    (_image("PNG"), {"Content-Type": "text/csv"}, 500),
    (b"not an image", {"Content-Type": "image/jpeg"}, 400),
    (_image("JPEG"), {"Content-Type": "image/jpeg", "Accept": "text/csv"}, 406),
    (json.dumps({"url": "http://169.254.169.254/latest/meta-data/"}).encode(),
     {"Content-Type": "application/json"}, 400),
])
def test_inference_errors_keep_their_status_through_the_toolkit(
        handler: Handler, body: bytes, headers: dict[str, str], status: int) -> None:
    context, answer = handler(body, headers)
    assert context.status == status, answer.decode()
    assert context.phrase and context.phrase in answer.decode()  # the message, then the traceback
