"""statemachine.json's endpoint and clean-up states against SageMaker as AWS answers it.

Each test runs the real definition (rendered as on AWS) in the engine from the state it is
about, with botocore's Stubber standing in for AWS: it answers in the order given and fails
the run on any call the test did not expect, so the order of calls is part of what is tested.
The answers follow the SageMaker API Reference: an update that fails leaves the endpoint
InService on its previous config with a FailureReason (DescribeEndpoint), FailureReason may be
absent, SageMaker refuses DeleteEndpoint and UpdateEndpoint while an operation runs, and errors
reach Step Functions under <Service>.<Service>Exception when the service model does not declare
their code (throttling, validation).
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tests.unit.engine.helpers import run
from workflow import definition
from workflow.pipeline.defaults import DEFAULT_ENDPOINT, default_input
from workflow.pipeline.local_setup import substitution_values

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)
ARNS = {name: f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        for name in ("stage_data", "smoke_test", "promote_model")}
RENDERED: dict[str, Any] = definition.load_rendered(substitution_values(ARNS, "s3://code/sourcedir.tar.gz"))
RUN_ID = "abc123"
NEW, OLD = f"dog-breed-pipeline-config-{RUN_ID}", "dog-breed-pipeline-config-old"
MODEL = f"dog-breed-pipeline-model-{RUN_ID}"
TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": f"endpoint/{DEFAULT_ENDPOINT}/variant/AllTraffic",
          "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
FAILURE = {"Error": "SmokeTestFailed", "Cause": "2 of 5 images answered too slowly"}


def execution_state(action: str = "none", **extra: Any) -> dict[str, Any]:
    """The execution's document as the endpoint states see it."""
    doc = default_input("s3://data/incoming/dogImages.zip")
    prepare = RENDERED["States"]["Prepare"]["Parameters"]
    doc["run"] = {**{k: v for k, v in prepare.items() if not k.endswith(".$")}, "id": RUN_ID,
                  "endpoint_action": action}
    doc["names"] = {"tuning_job": f"dog-breed-pipeline-{RUN_ID}", "training_job": f"dog-breed-pipeline-train-{RUN_ID}",
                    "model": MODEL, "endpoint_config": NEW, "scaling_resource": TARGET["ResourceId"]}
    doc["data"] = {"dataset_uri": "s3://data/dogs/data/datasets/x/", "manifest_uri": "s3://data/m.json",
                   "test_uri": "s3://data/dogs/data/datasets/x/test/", "num_classes": 5, "counts": {},
                   "checksum": "x", "skipped": False}
    doc["tuning_result"] = {"hyperparameters": {"lr": "0.001"}}
    doc["train"] = {"job_name": doc["names"]["training_job"], "model_data": "s3://data/model.tar.gz",
                    "test_accuracy_values": [0.9], "rules": [], "hyperparameters": {}, "model_version_values": ["1"]}
    doc["previous"] = {"config": OLD}
    doc.update(extra)
    return doc


def fragment(start: str, stop: Iterable[str] = ()) -> dict[str, Any]:
    """The definition from ``start`` on, each state of ``stop`` replaced by a Succeed state."""
    states = {name: ({"Type": "Succeed"} if name in stop else state)
              for name, state in RENDERED["States"].items()}
    reachable, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        state = states[name]
        todo += [t for t in (state.get("Next"), state.get("Default")) if t]
        todo += [c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])]
    return {**RENDERED, "StartAt": start, "States": {n: s for n, s in states.items() if n in reachable}}


class AWS:
    """Stubbed clients of the services the endpoint states call."""

    def __init__(self) -> None:
        self.clients = {}
        for service in ("sagemaker", "application-autoscaling", "lambda"):
            client = boto3.client(service, region_name="us-east-1", aws_access_key_id="x",
                                  aws_secret_access_key="x")
            client.stubber = Stubber(client)
            client.stubber.activate()
            self.clients[service] = client

    def __call__(self, service: str) -> Any:
        return self.clients[service]

    def answer(self, service: str, method: str, response: dict[str, Any], params: Any = None) -> AWS:
        self.clients[service].stubber.add_response(method, response, params)
        return self

    def refuse(self, service: str, method: str, code: str, message: str = "", status: int = 400) -> AWS:
        self.clients[service].stubber.add_client_error(method, code, message, status)
        return self

    def endpoint(self, status: str, config: str, **fields: Any) -> AWS:
        return self.answer("sagemaker", "describe_endpoint", {
            "EndpointName": DEFAULT_ENDPOINT, "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{DEFAULT_ENDPOINT}",
            "EndpointConfigName": config, "EndpointStatus": status, "CreationTime": NOW, "LastModifiedTime": NOW,
            **fields})

    def endpoint_gone(self) -> AWS:
        return self.refuse("sagemaker", "describe_endpoint", "ValidationException",
                           f'Could not find endpoint "{DEFAULT_ENDPOINT}".')

    def deletes_config_and_model(self) -> AWS:
        return (self.answer("sagemaker", "delete_endpoint_config", {}, {"EndpointConfigName": NEW})
                .answer("sagemaker", "delete_model", {}, {"ModelName": MODEL}))

    def done(self) -> None:
        for client in self.clients.values():
            client.stubber.assert_no_pending_responses()


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


# -- an update SageMaker rolled back --------------------------------------------------------
def test_an_update_rolled_back_by_sagemaker_fails_the_run_with_its_reason() -> None:
    aws = (AWS().endpoint("Updating", OLD)
           .endpoint("InService", OLD, FailureReason="ModuleNotFoundError: No module named 'timm'")
           .endpoint("InService", OLD)  # the clean-up's look: the old config serves, nothing to roll back
           .deletes_config_and_model())
    events: list[dict[str, Any]] = []
    result = run(fragment("WaitForEndpoint"), execution_state("update"), client_factory=aws, events=events)
    aws.done()
    assert (result.status, result.error) == ("FAILED", "EndpointUpdateFailed")
    assert f"rolled it back to {OLD}" in result.cause and "No module named 'timm'" in result.cause
    assert "RegisterScalableTarget" not in entered(events) and "SmokeTest" not in entered(events)


def test_a_failure_without_failure_reason_still_cleans_up() -> None:
    aws = (AWS().endpoint("Failed", NEW)  # no FailureReason in the description
           .endpoint("Failed", NEW)
           .refuse("application-autoscaling", "deregister_scalable_target", "ObjectNotFoundException")
           .answer("sagemaker", "delete_endpoint", {}, {"EndpointName": DEFAULT_ENDPOINT})
           .endpoint_gone()
           .deletes_config_and_model())
    result = run(fragment("WaitForEndpoint"), execution_state("create"), client_factory=aws)
    aws.done()
    assert (result.status, result.error) == ("FAILED", "EndpointFailed")
    assert result.cause == f"Endpoint {DEFAULT_ENDPOINT} failed: SageMaker gave no FailureReason"


# -- clean-up acts on settled endpoints only --------------------------------------------------
def test_clean_up_waits_for_a_creating_endpoint_then_deletes_it_and_waits_again() -> None:
    aws = (AWS().endpoint("Creating", NEW).endpoint("Creating", NEW).endpoint("InService", NEW)
           .refuse("application-autoscaling", "deregister_scalable_target", "ObjectNotFoundException")
           .answer("sagemaker", "delete_endpoint", {}, {"EndpointName": DEFAULT_ENDPOINT})
           .endpoint("Deleting", NEW).endpoint_gone()
           .deletes_config_and_model())
    result = run(fragment("CleanUp"), execution_state("create", failure=FAILURE), client_factory=aws)
    aws.done()
    assert (result.status, result.error, result.cause) == ("FAILED", FAILURE["Error"], FAILURE["Cause"])


def test_clean_up_rolls_back_and_deletes_only_once_the_roll_back_is_over() -> None:
    aws = (AWS().endpoint("InService", NEW)
           .answer("sagemaker", "update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e"},
                   {"EndpointName": DEFAULT_ENDPOINT, "EndpointConfigName": OLD, "RetainAllVariantProperties": True})
           .endpoint("Updating", NEW).endpoint("InService", OLD)
           .deletes_config_and_model())
    result = run(fragment("CleanUp"), execution_state("update", failure=FAILURE), client_factory=aws)
    aws.done()
    assert (result.status, result.error) == ("FAILED", FAILURE["Error"])


def test_clean_up_gives_up_on_an_endpoint_that_stays_busy_and_keeps_what_it_uses() -> None:
    state = execution_state("create", failure=FAILURE)
    state["endpoint"]["max_checks"] = 3
    aws = AWS().endpoint("Creating", NEW).endpoint("Creating", NEW).endpoint("Creating", NEW)
    result = run(fragment("CleanUp"), state, client_factory=aws)
    aws.done()  # no delete of any kind
    assert (result.status, result.error) == ("FAILED", "CleanUpTimeout")
    assert "still Creating after 3 checks" in result.cause and "SmokeTestFailed" in result.cause


# -- a retrain keeps the autoscaled capacity ---------------------------------------------------
def _serving_config(instance_type: str) -> dict[str, Any]:
    return {"EndpointConfigName": OLD, "EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/old",
            "CreationTime": NOW, "ProductionVariants": [
                {"VariantName": "AllTraffic", "ModelName": "old-model", "InstanceType": instance_type,
                 "InitialInstanceCount": 1}]}


UPDATE = {"EndpointName": DEFAULT_ENDPOINT, "EndpointConfigName": NEW, "RetainAllVariantProperties": True}


def test_an_update_keeps_the_instance_count_autoscaling_reached() -> None:
    aws = (AWS().endpoint("InService", OLD)
           .answer("sagemaker", "describe_endpoint_config", _serving_config("ml.m5.large"), {"EndpointConfigName": OLD})
           .answer("sagemaker", "update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e"},
                   UPDATE))
    result = run(fragment("DescribeServingEndpoint", stop={"MarkEndpointUpdated"}), execution_state(),
                 client_factory=aws)
    aws.done()
    assert result.status == "SUCCEEDED", result


def test_a_new_instance_type_deregisters_the_variant_first_and_a_failure_registers_it_again() -> None:
    aws = (AWS().endpoint("InService", OLD)
           .answer("sagemaker", "describe_endpoint_config", _serving_config("ml.c5.xlarge"))
           .answer("application-autoscaling", "deregister_scalable_target", {}, TARGET)
           .answer("sagemaker", "update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e"},
                   UPDATE)
           .endpoint("InService", OLD, FailureReason="CapacityError: no ml.m5.large capacity")
           .endpoint("InService", OLD)
           .answer("application-autoscaling", "register_scalable_target", {"ScalableTargetARN": "arn:target"},
                   {**TARGET, "MinCapacity": 1, "MaxCapacity": 2})
           .answer("application-autoscaling", "put_scaling_policy", {"PolicyARN": "arn:policy", "Alarms": []},
                   {**TARGET, "PolicyName": f"{DEFAULT_ENDPOINT}-invocations", "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": ANY})
           .deletes_config_and_model())
    result = run(fragment("DescribeServingEndpoint"), execution_state(), client_factory=aws)
    aws.done()
    assert (result.status, result.error) == ("FAILED", "EndpointUpdateFailed")


# -- one throttle is retried, whichever integration ---------------------------------------------
THROTTLES = {"sagemaker": ("ThrottlingException", 400), "application-autoscaling": ("ThrottlingException", 400),
             "lambda": ("TooManyRequestsException", 429)}


def _task_states() -> list[str]:
    return [name for name, state in RENDERED["States"].items() if state["Type"] == "Task"]


@pytest.mark.parametrize("name", _task_states())
def test_a_throttled_call_is_retried(name: str) -> None:
    state = dict(RENDERED["States"][name])
    state.pop("Next")
    state.pop("Catch")
    single = {"StartAt": name, "States": {name: {**state, "End": True}}}
    resource = state["Resource"]
    service = ("lambda" if ":lambda:" in resource else "application-autoscaling"
               if "applicationautoscaling" in resource else "sagemaker")
    operation = resource.rsplit(":", 1)[1].removesuffix(".sync")
    method = "invoke" if service == "lambda" else "".join("_" + c.lower() if c.isupper() else c for c in operation)
    aws = AWS()
    code, status = THROTTLES[service]
    for _ in range(10):
        aws.refuse(service, method, code, "Rate exceeded", status)
    events: list[dict[str, Any]] = []
    run(single, execution_state("update", failure=FAILURE, cleanup_endpoint={"status": "InService", "config": NEW}),
        client_factory=aws, events=events)
    failures = [e for e in events if e["type"] == "TaskFailed"]
    assert failures, events
    assert len(failures) > 1, (f"{name}: one {failures[0]['taskFailedEventDetails']['error']} ends the state; "
                               f"its Retry names {[r['ErrorEquals'] for r in state.get('Retry', [])]}")
