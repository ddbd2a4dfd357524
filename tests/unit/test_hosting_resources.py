"""Models and endpoint configurations in-process: records, AWS error codes and wording."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from workflow.local.access.caller import SAGEMAKER, ServicePrincipal
from workflow.local.context import ServerContext
from workflow.local.errors import ResourceLimitExceeded, ValidationException
from workflow.local.s3.backend import S3Backend
from workflow.local.sagemaker import SageMakerBackend
from workflow.local.sagemaker.hosting.records import ENDPOINT
from workflow.local.store import Store

_MODEL = botocore.session.get_session().get_service_model("sagemaker")


@pytest.fixture
def sagemaker(tmp_path: Path) -> Any:
    ctx = ServerContext(data_dir=tmp_path, store=Store(tmp_path / "db.sqlite3"),
                        endpoint_url="http://127.0.0.1:1")
    backend = SageMakerBackend(ctx)
    ctx.backends["sagemaker"] = backend
    s3 = S3Backend(ctx)
    ctx.backends["s3"] = s3
    s3.handle("CreateBucket", {"Bucket": "models"})

    def call(operation: str, **params: Any) -> dict[str, Any]:
        # The same validation the protocol layer applies before a backend sees a request.
        validate_parameters(params, _MODEL.operation_model(operation).input_shape)
        return backend.handle(operation, params)

    (tmp_path / "model.tar.gz").write_bytes(b"")
    call.url = "s3://models/model.tar.gz"
    s3.access.upload_file(ServicePrincipal(SAGEMAKER), tmp_path / "model.tar.gz", call.url)
    call.ctx = ctx
    return call


def _variant(model: str = "m", count: int = 1, name: str = "AllTraffic") -> dict[str, Any]:
    return {"VariantName": name, "ModelName": model, "InitialInstanceCount": count,
            "InstanceType": "ml.m5.large"}


def test_model_round_trip_and_list(sagemaker: Any) -> None:
    env = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/code"}
    arn = sagemaker("CreateModel", ModelName="Dogs-1", ExecutionRoleArn="arn:aws:iam::1:role/r",
                    PrimaryContainer={"Image": "pytorch", "ModelDataUrl": sagemaker.url,
                                      "Environment": env})["ModelArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:model/dogs-1"
    described = sagemaker("DescribeModel", ModelName="Dogs-1")
    assert described["PrimaryContainer"]["Environment"] == env
    assert described["ModelArn"] == arn
    sagemaker("CreateModel", ModelName="cats", PrimaryContainer={"Image": "pytorch"})
    listed = sagemaker("ListModels", SortBy="Name", SortOrder="Ascending")["Models"]
    assert [m["ModelName"] for m in listed] == ["Dogs-1", "cats"]
    first = sagemaker("ListModels", MaxResults=1, SortBy="Name", SortOrder="Ascending")
    assert [m["ModelName"] for m in first["Models"]] == ["Dogs-1"]
    rest = sagemaker("ListModels", MaxResults=1, SortBy="Name", SortOrder="Ascending",
                     NextToken=first["NextToken"])
    assert [m["ModelName"] for m in rest["Models"]] == ["cats"] and "NextToken" not in rest
    assert [m["ModelName"] for m in sagemaker("ListModels", NameContains="dog")["Models"]] == ["Dogs-1"]
    sagemaker("DeleteModel", ModelName="cats")
    with pytest.raises(ValidationException, match='Could not find model "arn:aws:sagemaker:.*model/cats"'):
        sagemaker("DescribeModel", ModelName="cats")


@pytest.mark.parametrize("params, message", [
    ({"ModelName": "bad_name!", "PrimaryContainer": {"Image": "i"}}, "at 'modelName'"),
    ({"ModelName": "m"}, "PrimaryContainer or Containers"),
    ({"ModelName": "m", "PrimaryContainer": {"Image": "i", "ModelDataUrl": "s3://models/k.tar.gz"}},
     "Could not find model data at s3://models/k.tar.gz"),
    ({"ModelName": "m", "PrimaryContainer": {"Image": "i", "ModelDataUrl": "s3://no-bucket/k.tar.gz"}},
     "Could not find model data at s3://no-bucket/k.tar.gz"),
    ({"ModelName": "m", "PrimaryContainer": {"Image": "i", "ModelDataUrl": "file:///no/such.tar.gz"}},
     "ModelDataUrl must be an s3:// URI"),
])
def test_bad_models_are_refused(sagemaker: Any, params: dict, message: str) -> None:
    with pytest.raises(ValidationException, match=message):
        sagemaker("CreateModel", **params)
    assert sagemaker("ListModels")["Models"] == []


def test_duplicate_model_keeps_the_first(sagemaker: Any) -> None:
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "first"})
    with pytest.raises(ValidationException, match="Cannot create already existing model"):
        sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "second"})
    assert sagemaker("DescribeModel", ModelName="m")["PrimaryContainer"]["Image"] == "first"


def test_endpoint_config_round_trip_and_errors(sagemaker: Any) -> None:
    with pytest.raises(ValidationException, match='Could not find model ".*model/m"'):
        sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant()])
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "i"})
    arn = sagemaker("CreateEndpointConfig", EndpointConfigName="c",
                    ProductionVariants=[_variant()])["EndpointConfigArn"]
    assert arn.endswith(":endpoint-config/c")
    described = sagemaker("DescribeEndpointConfig", EndpointConfigName="c")
    assert described["ProductionVariants"][0]["InitialVariantWeight"] == 1.0
    with pytest.raises(ValidationException, match="Cannot create already existing endpoint configuration"):
        sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant()])
    with pytest.raises(ValidationException, match="used more than once"):
        sagemaker("CreateEndpointConfig", EndpointConfigName="d",
                  ProductionVariants=[_variant(), _variant()])
    assert [c["EndpointConfigName"] for c in sagemaker("ListEndpointConfigs")["EndpointConfigs"]] == ["c"]
    sagemaker("DeleteEndpointConfig", EndpointConfigName="c")
    with pytest.raises(ValidationException, match="Could not find endpoint configuration"):
        sagemaker("DeleteEndpointConfig", EndpointConfigName="c")


def test_endpoint_errors_before_any_worker_starts(sagemaker: Any) -> None:
    with pytest.raises(ValidationException, match="Could not find endpoint configuration"):
        sagemaker("CreateEndpoint", EndpointName="e", EndpointConfigName="missing")
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "i"})
    sagemaker("CreateEndpointConfig", EndpointConfigName="big", ProductionVariants=[_variant(count=99)])
    with pytest.raises(ResourceLimitExceeded, match="request delta of 99 Instances"):
        sagemaker("CreateEndpoint", EndpointName="e", EndpointConfigName="big")
    for operation, params in [
        ("DescribeEndpoint", {}), ("DeleteEndpoint", {}),
        ("UpdateEndpoint", {"EndpointConfigName": "big"}),
        ("UpdateEndpointWeightsAndCapacities",
         {"DesiredWeightsAndCapacities": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 2}]}),
    ]:
        with pytest.raises(ValidationException, match='Could not find endpoint ".*endpoint/e"'):
            sagemaker(operation, EndpointName="e", **params)
    assert sagemaker("ListEndpoints")["Endpoints"] == []


def test_an_endpoint_in_progress_cannot_be_updated(sagemaker: Any) -> None:
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "i"})
    sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant()])
    doc = {"EndpointName": "e", "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e",
           "EndpointConfigName": "c", "EndpointStatus": "Creating"}
    sagemaker.ctx.store.put(ENDPOINT, "e", doc)
    with pytest.raises(ValidationException, match='Cannot update in-progress endpoint ".*endpoint/e"'):
        sagemaker("UpdateEndpoint", EndpointName="e", EndpointConfigName="c")
    with pytest.raises(ValidationException, match="Cannot create already existing endpoint"):
        sagemaker("CreateEndpoint", EndpointName="e", EndpointConfigName="c")
    assert sagemaker.ctx.store.get(ENDPOINT, "e")["EndpointStatus"] == "Creating"


def _endpoint(sagemaker: Any, status: str, config: str = "c", **extra: Any) -> None:
    doc = {"EndpointName": "e", "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/e",
           "EndpointConfigName": config, "EndpointStatus": status,
           "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1, "DesiredInstanceCount": 1,
                                   "CurrentWeight": 1.0, "DesiredWeight": 1.0}], **extra}
    sagemaker.ctx.store.put(ENDPOINT, "e", doc)


@pytest.mark.parametrize("status", ["Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting"])
def test_an_endpoint_in_progress_can_be_neither_updated_nor_deleted(sagemaker: Any, status: str) -> None:
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "i"})
    sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant()])
    _endpoint(sagemaker, status)
    for operation, params in (("DeleteEndpoint", {}), ("UpdateEndpoint", {"EndpointConfigName": "c"})):
        verb = operation.removesuffix("Endpoint").lower()
        with pytest.raises(ValidationException, match=f'Cannot {verb} in-progress endpoint ".*endpoint/e"'):
            sagemaker(operation, EndpointName="e", **params)
    assert sagemaker.ctx.store.get(ENDPOINT, "e")["EndpointStatus"] == status


def test_a_failed_endpoint_can_only_be_deleted(sagemaker: Any) -> None:
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "i"})
    sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant()])
    _endpoint(sagemaker, "Failed")
    with pytest.raises(ValidationException, match='Cannot update failed endpoint ".*endpoint/e"'):
        sagemaker("UpdateEndpoint", EndpointName="e", EndpointConfigName="c")
    sagemaker("DeleteEndpoint", EndpointName="e")


def test_configs_and_models_an_endpoint_uses_cannot_be_deleted(sagemaker: Any) -> None:
    for model in ("m", "m2", "spare"):
        sagemaker("CreateModel", ModelName=model, PrimaryContainer={"Image": "i"})
    sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant("m")])
    sagemaker("CreateEndpointConfig", EndpointConfigName="c2", ProductionVariants=[_variant("m2")])
    sagemaker("CreateEndpointConfig", EndpointConfigName="unused", ProductionVariants=[_variant("spare")])
    _endpoint(sagemaker, "Updating", PendingDeploymentSummary={"EndpointConfigName": "c2"})
    for config, model in (("c", "m"), ("c2", "m2")):  # serving, and being deployed
        with pytest.raises(ValidationException, match=f'Cannot delete endpoint configuration ".*{config}": endpoint "e" uses it'):
            sagemaker("DeleteEndpointConfig", EndpointConfigName=config)
        with pytest.raises(ValidationException, match=f'Cannot delete model ".*{model}": endpoint "e" serves it'):
            sagemaker("DeleteModel", ModelName=model)
    sagemaker("DeleteModel", ModelName="spare")  # only an unused config names it
    sagemaker("DeleteEndpointConfig", EndpointConfigName="unused")
    assert {c["EndpointConfigName"] for c in sagemaker("ListEndpointConfigs")["EndpointConfigs"]} == {"c", "c2"}


def test_retained_properties_come_from_the_running_endpoint_unless_excluded() -> None:
    from workflow.local.sagemaker.hosting import rules

    config = {"EndpointConfigName": "new", "ProductionVariants": [
        {"VariantName": "AllTraffic", "InitialInstanceCount": 1, "InitialVariantWeight": 1.0},
        {"VariantName": "Fresh", "InitialInstanceCount": 1, "InitialVariantWeight": 0.5}]}
    doc = {"ProductionVariants": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 3, "DesiredWeight": 0.7}]}
    kept = rules.retained_variants(config, doc, [])["ProductionVariants"]
    assert [(v["InitialInstanceCount"], v["InitialVariantWeight"]) for v in kept] == [(3, 0.7), (1, 0.5)]
    kept = rules.retained_variants(config, doc, ["DesiredInstanceCount"])["ProductionVariants"]
    assert (kept[0]["InitialInstanceCount"], kept[0]["InitialVariantWeight"]) == (1, 0.7)
    assert config["ProductionVariants"][0]["InitialInstanceCount"] == 1  # the stored config is untouched


def test_an_update_cannot_change_the_instance_type_of_a_scalable_variant(sagemaker: Any) -> None:
    from workflow.local.autoscaling.backend import AutoScalingBackend

    sagemaker.ctx.backends["application-autoscaling"] = scaling = AutoScalingBackend(sagemaker.ctx)
    sagemaker("CreateModel", ModelName="m", PrimaryContainer={"Image": "i"})
    sagemaker("CreateEndpointConfig", EndpointConfigName="c", ProductionVariants=[_variant()])
    sagemaker("CreateEndpointConfig", EndpointConfigName="bigger", ProductionVariants=[
        {**_variant(), "InstanceType": "ml.c5.xlarge"}])
    sagemaker("CreateEndpointConfig", EndpointConfigName="renamed", ProductionVariants=[_variant(name="Blue")])
    _endpoint(sagemaker, "InService")
    target = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/e/variant/AllTraffic",
              "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}
    scaling.handle("RegisterScalableTarget", {**target, "MinCapacity": 1, "MaxCapacity": 2})
    with pytest.raises(ValidationException, match=r"registered as a scalable target .* cannot change its "
                                                  r"instance type \(ml.m5.large to ml.c5.xlarge\)"):
        sagemaker("UpdateEndpoint", EndpointName="e", EndpointConfigName="bigger")
    with pytest.raises(ValidationException, match="cannot remove it"):
        sagemaker("UpdateEndpoint", EndpointName="e", EndpointConfigName="renamed")
    assert sagemaker.ctx.store.get(ENDPOINT, "e")["EndpointStatus"] == "InService"
    scaling.handle("DeregisterScalableTarget", target)
    sagemaker("UpdateEndpoint", EndpointName="e", EndpointConfigName="bigger")
    # Accepted: it runs, and rolls back since this test's model ships no inference code.
    deadline = time.monotonic() + 30
    while (doc := sagemaker.ctx.store.get(ENDPOINT, "e"))["EndpointStatus"] != "InService":
        assert time.monotonic() < deadline, doc
        time.sleep(0.05)
    assert "inference.py was not found" in doc["FailureReason"] and doc["EndpointConfigName"] == "c"
