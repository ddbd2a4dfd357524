"""Endpoints through boto3 against the real server: lifecycle, failures, errors, workers."""
from __future__ import annotations

import json
from pathlib import Path

import psutil
import pytest

from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    BROKEN_LOAD,
    SLOW_LOAD,
    VARIANT,
    Endpoints,
    code_archive,
    echo_archive,
    endpoint_workers,
    endpoints,
    until,
    write_tar,
)


def test_lifecycle_workers_follow_the_endpoint(endpoints: Endpoints, echo_archive: Path) -> None:
    config = endpoints.config(endpoints.model(echo_archive), count=2)
    name = endpoints.create(config, wait=False)
    assert endpoints.status(name)["EndpointStatus"] == "Creating"
    doc = endpoints.wait(name, "InService")
    (variant,) = doc["ProductionVariants"]
    counts = (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"])
    assert (variant["VariantName"], counts) == (VARIANT, (2, 2))
    assert doc["EndpointConfigName"] == config
    workers = endpoint_workers(endpoints.server, name)
    assert len(workers) == 2
    pids = {json.loads(endpoints.invoke(name, b"x", ContentType="text/plain")["Body"])["pid"]
            for _ in range(6)}
    assert pids == {w.pid for w in workers}  # requests spread over both instances
    listed = endpoints.sm.list_endpoints(NameContains=name)["Endpoints"]
    assert [e["EndpointStatus"] for e in listed] == ["InService"]
    endpoints.sm.delete_endpoint(EndpointName=name)
    until(lambda: not endpoint_workers(endpoints.server, name), 30, "workers to stop")
    psutil.wait_procs(workers, timeout=5)
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    with pytest.raises(endpoints.sm.exceptions.ClientError, match="Could not find endpoint"):
        until(lambda: endpoints.status(name)["EndpointStatus"] != "Deleting", 30, "deletion")
        endpoints.status(name)


@pytest.mark.parametrize("files, env, reason", [
    ({"weights.bin": "w"}, {}, "inference.py was not found"),
    ({"code/inference.py": BROKEN_LOAD}, {}, "FileNotFoundError: weights.bin is missing"),
    ({"../escape.py": "x = 1", "code/inference.py": "x = 1"}, {}, "Refused to extract"),
    ({"code/inference.py": "x = 1"}, {"SAGEMAKER_PROGRAM": "serve.py"}, "serve.py was not found"),
])
def test_failed_endpoints_say_why(endpoints: Endpoints, tmp_path: Path, files: dict, env: dict,
                                  reason: str) -> None:
    archive = write_tar(tmp_path / "model.tar.gz", files)
    name = endpoints.create(endpoints.config(endpoints.model(archive, env)), wait=False)
    doc = endpoints.wait(name, "Failed")
    assert reason in doc["FailureReason"]
    assert not endpoint_workers(endpoints.server, name)
    assert not (tmp_path / "escape.py").exists()


#: A model whose loading garbles the worker's status line to the server ("port <number>"):
#: the server's own reading of it then breaks with an error no start-up failure it knows
#: describes (a ValueError from int()), the kind of surprise an endpoint must survive.
GARBLED_STATUS = """
import sys
def model_fn(model_dir):
    frame = sys._getframe()
    while "status" not in frame.f_locals:
        frame = frame.f_back
    frame.f_locals["status"].write("port not-a-number\\n")
    return object()
"""


def test_an_unexpected_error_while_workers_start_fails_the_creation_with_the_reason(
        endpoints: Endpoints, tmp_path: Path) -> None:
    model = endpoints.model(code_archive(tmp_path, GARBLED_STATUS))
    name = endpoints.create(endpoints.config(model), wait=False)
    doc = endpoints.wait(name, "Failed")
    assert "ValueError" in doc["FailureReason"] and "not-a-number" in doc["FailureReason"]
    until(lambda: not endpoint_workers(endpoints.server, name), 30, "the workers to stop")


def test_an_unexpected_error_during_an_update_keeps_the_old_fleet_serving(
        endpoints: Endpoints, echo_archive: Path, tmp_path: Path) -> None:
    name = endpoints.deploy(echo_archive)
    garbled = endpoints.config(endpoints.model(code_archive(tmp_path, GARBLED_STATUS)))
    old = endpoints.status(name)["EndpointConfigName"]
    endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=garbled)
    doc = endpoints.wait(name, "InService")
    assert doc["EndpointConfigName"] == old and "PendingDeploymentSummary" not in doc
    assert "ValueError" in doc["FailureReason"]
    assert json.loads(endpoints.invoke(name, b"x", ContentType="text/plain")["Body"])["echo"] == "x"


def test_code_from_the_submit_directory(endpoints: Endpoints, tmp_path: Path) -> None:
    weights = write_tar(tmp_path / "model.tar.gz", {"weights.bin": "w"})
    source = write_tar(tmp_path / "sourcedir.tar.gz", {"serve.py": (
        "def model_fn(d):\n    return open(d + '/weights.bin').read()\n"
        "def predict_fn(data, model):\n    return {'weights': model, 'data': data.tolist()}\n")})
    name = endpoints.deploy(weights, env={"SAGEMAKER_PROGRAM": "serve.py",
                                          "SAGEMAKER_SUBMIT_DIRECTORY": endpoints.upload(source)})
    # The PyTorch toolkit's default input_fn (JSON to a float tensor) and output_fn (JSON).
    body = endpoints.invoke(name, b'[1, 2]', ContentType="application/json")["Body"]
    assert json.loads(body) == {"weights": "w", "data": [1.0, 2.0]}


def test_control_plane_errors(endpoints: Endpoints, echo_archive: Path, tmp_path: Path) -> None:
    sm = endpoints.sm
    model = endpoints.model(echo_archive)
    with pytest.raises(sm.exceptions.ClientError, match="Cannot create already existing model") as info:
        sm.create_model(ModelName=model, PrimaryContainer={"Image": "i"})
    assert info.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(sm.exceptions.ClientError, match='Could not find model ".*model/absent"'):
        sm.describe_model(ModelName="absent")
    with pytest.raises(sm.exceptions.ClientError, match='Could not find model ".*model/absent"'):
        endpoints.config("absent")
    with pytest.raises(sm.exceptions.ClientError, match="Could not find endpoint configuration"):
        sm.create_endpoint(EndpointName="e-absent", EndpointConfigName="absent")
    with pytest.raises(sm.exceptions.ClientError, match='Could not find endpoint ".*endpoint/absent"'):
        sm.describe_endpoint(EndpointName="absent")
    with pytest.raises(sm.exceptions.ResourceLimitExceeded, match="request delta of 50 Instances"):
        sm.create_endpoint(EndpointName=endpoints.name("big"), EndpointConfigName=endpoints.config(model, 50))
    slow = endpoints.create(endpoints.config(endpoints.model(code_archive(tmp_path, SLOW_LOAD))),
                            wait=False)
    with pytest.raises(sm.exceptions.ClientError, match="Cannot update in-progress endpoint"):
        sm.update_endpoint(EndpointName=slow, EndpointConfigName=endpoints.config(model))
    name = endpoints.create(endpoints.config(model))
    with pytest.raises(sm.exceptions.ClientError, match="Cannot create already existing endpoint"):
        sm.create_endpoint(EndpointName=name, EndpointConfigName=endpoints.config(model))
    with pytest.raises(sm.exceptions.ClientError, match=r"The variant\(s\) .*Blue.* are not present"):
        sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
            {"VariantName": "Blue", "DesiredInstanceCount": 2}])
    # Nothing above disturbed the endpoint that serves.
    assert endpoints.status(name)["EndpointStatus"] == "InService"
    assert endpoints.invoke(name, b"still", ContentType="text/plain")["Body"]


def test_weights_and_capacities_add_and_remove_workers(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive)
    endpoints.sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": VARIANT, "DesiredInstanceCount": 3}])
    assert endpoints.status(name)["EndpointStatus"] == "Updating"
    (variant,) = endpoints.wait(name, "InService")["ProductionVariants"]
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (3, 3)
    assert len(endpoint_workers(endpoints.server, name)) == 3
    endpoints.sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=[
        {"VariantName": VARIANT, "DesiredInstanceCount": 1}])
    (variant,) = endpoints.wait(name, "InService")["ProductionVariants"]
    assert variant["CurrentInstanceCount"] == 1
    until(lambda: len(endpoint_workers(endpoints.server, name)) == 1, 30, "two workers to stop")
