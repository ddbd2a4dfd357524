"""SageMaker's rules for changing an endpoint, on the real server with real workers.

UpdateEndpoint keeps or resets variant properties as RetainAllVariantProperties says; an
update whose new fleet cannot serve is rolled back; an endpoint in progress refuses updates
and deletion, and what it uses cannot be deleted; a scalable variant keeps its instance type;
and errors reach a state machine under the names Step Functions gives them on AWS.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.sfn_helpers import create_machine, wait_done
from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    BROKEN_LOAD,
    VARIANT,
    Endpoints,
    Load,
    code_archive,
    echo_archive,
    endpoints,
    until,
    write_tar,
)

SLOW = """
import os, time
def model_fn(model_dir):
    time.sleep(float(os.environ.get("LOAD_SECONDS", "3")))
    return object()
"""
TARGET = {"ServiceNamespace": "sagemaker", "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}


def counts(doc: dict) -> tuple[int, int]:
    (variant,) = doc["ProductionVariants"]
    return variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]


def update(endpoints: Endpoints, name: str, config: str, **params: object) -> dict:
    endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=config, **params)
    return endpoints.wait(name, "InService")


def test_retained_variant_properties_keep_a_scaled_count(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive, count=1)
    endpoints.sm.update_endpoint_weights_and_capacities(
        EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": VARIANT, "DesiredInstanceCount": 2}])
    assert counts(endpoints.wait(name, "InService")) == (2, 2)

    def config(version: str) -> str:
        return endpoints.config(endpoints.model(echo_archive, {"MODEL_VERSION": version}), count=1)

    doc = update(endpoints, name, config("v2"), RetainAllVariantProperties=True)
    assert counts(doc) == (2, 2)
    assert json.loads(endpoints.invoke(name, b"x", ContentType="text/plain")["Body"])["version"] == "v2"
    doc = update(endpoints, name, config("v3"), RetainAllVariantProperties=True,
                 ExcludeRetainedVariantProperties=[{"VariantPropertyType": "DesiredInstanceCount"}])
    assert counts(doc) == (1, 1)
    endpoints.sm.update_endpoint_weights_and_capacities(
        EndpointName=name, DesiredWeightsAndCapacities=[{"VariantName": VARIANT, "DesiredInstanceCount": 2}])
    endpoints.wait(name, "InService")
    assert counts(update(endpoints, name, config("v4"))) == (1, 1)  # without it: the config's count


@pytest.mark.parametrize("files, reason", [
    ({"code/inference.py": BROKEN_LOAD}, "FileNotFoundError: weights.bin is missing"),
    ({"code/inference.py": "import serving_library_that_is_not_installed\n"},
     "No module named 'serving_library_that_is_not_installed'"),
    ({"code/inference.py": "def model_fn(model_dir):\n    return 1\n", "../outside.py": "x = 1"}, "Refused to extract"),
])
def test_an_update_that_cannot_serve_is_rolled_back(endpoints: Endpoints, echo_archive: Path, tmp_path: Path,
                                                    files: dict, reason: str) -> None:
    name = endpoints.deploy(echo_archive, count=1, env={"MODEL_VERSION": "old"})
    old = endpoints.status(name)["EndpointConfigName"]
    broken = endpoints.config(endpoints.model(write_tar(tmp_path / "broken.tar.gz", files)))
    with Load(endpoints.server, name, threads=2, body=b"during") as load:
        endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=broken)
        doc = endpoints.wait(name, "InService")
        until(lambda: load.count() > 5, 30, "requests during the update")
    assert load.errors == []
    assert doc["EndpointConfigName"] == old and reason in doc["FailureReason"]
    assert "PendingDeploymentSummary" not in doc
    assert json.loads(endpoints.invoke(name, b"x", ContentType="text/plain")["Body"])["version"] == "old"


def test_an_endpoint_in_progress_refuses_changes_and_keeps_what_it_uses(
        endpoints: Endpoints, tmp_path: Path) -> None:
    sm = endpoints.sm
    model = endpoints.model(code_archive(tmp_path, SLOW), {"LOAD_SECONDS": "6"})
    config = endpoints.config(model)
    name = endpoints.create(config, wait=False)
    refusals = [
        (lambda: sm.delete_endpoint(EndpointName=name), "Cannot delete in-progress endpoint"),
        (lambda: sm.update_endpoint(EndpointName=name, EndpointConfigName=config),
         "Cannot update in-progress endpoint"),
        (lambda: sm.delete_endpoint_config(EndpointConfigName=config),
         f'Cannot delete endpoint configuration ".*": endpoint "{name}" uses it'),
        (lambda: sm.delete_model(ModelName=model), f'Cannot delete model ".*": endpoint "{name}" serves it'),
    ]
    for call, message in refusals:
        with pytest.raises(sm.exceptions.ClientError, match=message) as info:
            call()
        assert info.value.response["Error"]["Code"] == "ValidationException"

    # The same refusals reach a state machine under Step Functions' names for SageMaker's
    # undeclared ValidationException: the SDK's base exception, per integration.
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error"}]
    definition = {"StartAt": "Update", "States": {
        "Update": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:updateEndpoint",
                   "Parameters": {"EndpointName": name, "EndpointConfigName": config}, "ResultPath": "$.update",
                   "Catch": [{**catch[0], "ResultPath": "$.update", "Next": "Delete"}], "Next": "Delete"},
        "Delete": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sagemaker:deleteEndpoint",
                   "Parameters": {"EndpointName": name}, "ResultPath": "$.delete",
                   "Catch": [{**catch[0], "ResultPath": "$.delete", "Next": "Deregister"}], "Next": "Deregister"},
        "Deregister": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:applicationautoscaling:deregisterScalableTarget",
                       "Parameters": {**TARGET, "ResourceId": f"endpoint/{name}/variant/{VARIANT}"},
                       "ResultPath": "$.deregister",
                       "Catch": [{**catch[0], "ResultPath": "$.deregister", "Next": "Done"}], "Next": "Done"},
        "Done": {"Type": "Succeed"}}}
    sfn = endpoints.server.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=create_machine(sfn, definition), input="{}")
    output = json.loads(wait_done(sfn, execution["executionArn"])["output"])
    assert output["update"]["Error"] == "SageMaker.AmazonSageMakerException"
    assert "Cannot update in-progress endpoint" in output["update"]["Cause"]
    assert output["delete"]["Error"] == "SageMaker.SageMakerException"
    assert output["deregister"]["Error"] == "ApplicationAutoScaling.ObjectNotFoundException"

    endpoints.wait(name, "InService")
    endpoints.delete(name)
    until(lambda: name not in [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]], 60, "deletion")
    sm.delete_endpoint_config(EndpointConfigName=config)  # nothing uses them any more
    sm.delete_model(ModelName=model)


def test_a_scalable_variant_keeps_its_instance_type(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive)
    scaling = endpoints.server.client("application-autoscaling")
    target = {**TARGET, "ResourceId": f"endpoint/{name}/variant/{VARIANT}"}
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=2)
    model = endpoints.model(echo_archive, {"MODEL_VERSION": "v2"})
    bigger = endpoints.config(model, variants=[{"VariantName": VARIANT, "ModelName": model,
                                                "InitialInstanceCount": 1, "InstanceType": "ml.c5.xlarge"}])
    with pytest.raises(endpoints.sm.exceptions.ClientError, match="cannot change its instance type"):
        endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=bigger)
    assert update(endpoints, name, endpoints.config(model))["EndpointConfigName"] != bigger  # a new model is fine
    scaling.deregister_scalable_target(**target)
    assert update(endpoints, name, bigger)["EndpointConfigName"] == bigger
    # DeleteEndpoint deregisters the variant, as AWS does for a caller allowed to.
    scaling.register_scalable_target(**target, MinCapacity=1, MaxCapacity=2)
    endpoints.delete(name)
    assert scaling.describe_scalable_targets(ServiceNamespace="sagemaker", ResourceIds=[target["ResourceId"]])[
        "ScalableTargets"] == []
