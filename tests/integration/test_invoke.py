"""InvokeEndpoint through boto3 against the real server: the trained model, and every error."""
from __future__ import annotations

import base64
import io
import json
import tarfile
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    ECHO,
    SLOW_LOAD,
    VARIANT,
    Endpoints,
    code_archive,
    echo_archive,
    endpoints,
    trained_model,
    until,
)


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 40), (180, 120, 60)).save(buffer, format=fmt)
    return buffer.getvalue()


def _classes(archive: Path) -> set[str]:
    with tarfile.open(archive) as tar:
        return set(json.load(tar.extractfile("classes.json")).values())


def test_trained_model_answers_jpeg_png_and_json(endpoints: Endpoints, trained_model: Path) -> None:
    name = endpoints.deploy(trained_model)
    classes = _classes(trained_model)
    bodies = {
        "image/jpeg": _image("JPEG"),
        "image/png": _image("PNG"),
        "application/json": json.dumps({"image": base64.b64encode(_image("PNG")).decode(),
                                        "top_k": 2}).encode(),
    }
    for content_type, body in bodies.items():
        response = endpoints.invoke(name, body, ContentType=content_type, Accept="application/json",
                                    CustomAttributes="trace=abc")
        assert response["ContentType"].startswith("application/json"), content_type
        assert response["InvokedProductionVariant"] == VARIANT
        # The PyTorch container answers custom attributes only when the handler sets them.
        assert "CustomAttributes" not in response
        predictions = json.loads(response["Body"])["predictions"]
        assert predictions and {p["label"] for p in predictions} <= classes, content_type
        probabilities = [p["probability"] for p in predictions]
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1.0 + 1e-4  # rounded to 6 places
    assert len(json.loads(endpoints.invoke(name, bodies["application/json"],
                                           ContentType="application/json")["Body"])["predictions"]) == 2


def test_model_errors_carry_the_original_status(endpoints: Endpoints, trained_model: Path) -> None:
    name = endpoints.deploy(trained_model)
    ModelError = endpoints.runtime.exceptions.ModelError
    cases = [
        (b"not an image", "image/jpeg", 400),
        (_image("PNG"), "text/plain", 415),
        # The toolkit decodes a CSV body as UTF-8 before input_fn: an image fails there, a 500.
        (_image("PNG"), "text/csv", 500),
        (json.dumps({"url": "http://169.254.169.254/latest/meta-data/"}).encode(), "application/json", 400),
    ]
    for body, content_type, status in cases:
        with pytest.raises(ModelError) as info:
            endpoints.invoke(name, body, ContentType=content_type)
        response = info.value.response
        assert response["OriginalStatusCode"] == status, (content_type, response)
        assert response["OriginalMessage"]
        assert response["LogStreamArn"].startswith("arn:aws:logs:")
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
    # The worker is still healthy after bad requests.
    assert endpoints.invoke(name, _image("JPEG"), ContentType="image/jpeg")["Body"]


def test_request_errors(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive)
    ValidationError = endpoints.runtime.exceptions.ValidationError
    with pytest.raises(ValidationError, match="Endpoint no-such-endpoint of account 123456789012 not found."):
        endpoints.invoke("no-such-endpoint", b"x")
    with pytest.raises(ValidationError, match="exceeds the maximum payload size"):
        endpoints.invoke(name, b"x" * (6 * 1024 * 1024 + 1), ContentType="text/plain")
    with pytest.raises(ValidationError, match="Variant Blue does not exist"):
        endpoints.invoke(name, b"x", TargetVariant="Blue")
    with pytest.raises(endpoints.runtime.exceptions.ModelError) as info:
        endpoints.invoke(name, b"x", ContentType="application/x-reject")
    assert info.value.response["OriginalStatusCode"] == 415
    assert info.value.response["OriginalMessage"] == "rejected application/x-reject"
    with pytest.raises(endpoints.runtime.exceptions.ModelError) as info:
        endpoints.invoke(name, b"x", ContentType="application/x-status-attribute")
    assert info.value.response["OriginalStatusCode"] == 500
    with pytest.raises(endpoints.runtime.exceptions.ModelError) as info:
        endpoints.invoke(name, b"crash", ContentType="text/plain")
    assert info.value.response["OriginalStatusCode"] == 500
    # Just under the limit is accepted and passed through whole.
    big = b"y" * (6 * 1024 * 1024 - 1024)
    assert len(json.loads(endpoints.invoke(name, big, ContentType="text/plain")["Body"])["echo"]) == len(big)


def test_model_timeout(endpoints: Endpoints, echo_archive: Path, local_server) -> None:
    name = endpoints.deploy(echo_archive)
    timeout = max(5.0, 60 / local_server.state.time_scale)
    started = time.monotonic()
    with pytest.raises(endpoints.runtime.exceptions.ModelError, match="timed out") as info:
        endpoints.invoke(name, f"sleep {timeout + 2}".encode(), ContentType="text/plain")
    assert info.value.response["OriginalStatusCode"] == 0
    assert time.monotonic() - started < timeout + 2
    # The next request goes to the worker once it is free again.
    assert endpoints.invoke(name, b"after", ContentType="text/plain")["Body"]


def test_an_endpoint_that_is_not_in_service_is_not_found(
    endpoints: Endpoints, tmp_path: Path,
) -> None:
    archive = code_archive(tmp_path, SLOW_LOAD)
    name = endpoints.create(endpoints.config(endpoints.model(archive)), wait=False)
    assert endpoints.status(name)["EndpointStatus"] == "Creating"
    with pytest.raises(endpoints.runtime.exceptions.ValidationError,
                       match=f"Endpoint {name} of account 123456789012 not found."):
        endpoints.invoke(name, b"x")


def test_traffic_follows_variant_weights_and_target_variant(endpoints: Endpoints, echo_archive: Path) -> None:
    model = endpoints.model(echo_archive)
    config = endpoints.config(model, variants=[
        {"VariantName": name, "ModelName": model, "InitialInstanceCount": 1,
         "InstanceType": "ml.m5.large", "InitialVariantWeight": weight}
        for name, weight in (("Blue", 3.0), ("Green", 1.0))])
    name = endpoints.create(config)
    seen = [endpoints.invoke(name, b"x", ContentType="text/plain")["InvokedProductionVariant"]
            for _ in range(80)]
    # 3:1 weights, 60 vs 20 expected: Blue not ahead is a 5-sigma event (~1e-7).
    assert 0 < seen.count("Green") < seen.count("Blue")
    targeted = {endpoints.invoke(name, b"x", ContentType="text/plain", TargetVariant="Green")
                ["InvokedProductionVariant"] for _ in range(5)}
    assert targeted == {"Green"}
    variants = endpoints.status(name)["ProductionVariants"]
    assert [(v["VariantName"], v["CurrentWeight"]) for v in variants] == [("Blue", 3.0), ("Green", 1.0)]
