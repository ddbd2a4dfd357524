"""Application Auto Scaling through boto3: target tracking really adds and removes workers.

The server runs with a large time scale: a "minute" of CloudWatch data lasts
0.5 s and the cooldowns shrink alike, so scale-out and scale-in happen in seconds.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import LocalServerHandle
from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    VARIANT,
    Endpoints,
    Load,
    echo_archive,
    endpoint_workers,
    own_server,
    until,
)

TIME_SCALE = 120.0
DIMENSION = "sagemaker:variant:DesiredInstanceCount"


@pytest.fixture
def scaled(own_server: Callable[..., LocalServerHandle]) -> Iterator[tuple[Endpoints, object]]:
    server = own_server(time_scale=TIME_SCALE)
    yield Endpoints(server, "scale"), server.client("application-autoscaling")


def _target(name: str) -> dict[str, str]:
    return {"ServiceNamespace": "sagemaker", "ResourceId": f"endpoint/{name}/variant/{VARIANT}",
            "ScalableDimension": DIMENSION}


def _policy(name: str, **config: object) -> dict[str, object]:
    return {
        **_target(name), "PolicyName": "invocations", "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 4.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 60,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            **config,
        },
    }


def _count(endpoints: Endpoints, name: str) -> int:
    doc = endpoints.status(name)
    variant = doc["ProductionVariants"][0]
    return variant["CurrentInstanceCount"] if doc["EndpointStatus"] == "InService" else -1


def test_scale_out_under_load_and_in_after_it(scaled: tuple[Endpoints, object], echo_archive: Path) -> None:
    endpoints, aas = scaled
    name = endpoints.deploy(echo_archive)
    aas.register_scalable_target(MinCapacity=1, MaxCapacity=3, **_target(name))
    aas.put_scaling_policy(**_policy(name))
    with Load(endpoints.server, name, threads=2, rps=24) as load:
        until(lambda: _count(endpoints, name) == 3, 60, "scale-out to MaxCapacity")
        assert len(endpoint_workers(endpoints.server, name)) == 3
    assert load.errors == []
    until(lambda: _count(endpoints, name) == 1, 60, "scale-in to MinCapacity")
    until(lambda: len(endpoint_workers(endpoints.server, name)) == 1, 30, "workers to stop")

    activities = until(lambda: (lambda a: a if all(x["StatusCode"] == "Successful" for x in a) else None)(
        aas.describe_scaling_activities(ServiceNamespace="sagemaker", ResourceId=_target(name)["ResourceId"])
        ["ScalingActivities"]), 30, "activities to complete")
    causes = [(a["Description"], a["Cause"]) for a in reversed(activities)]  # oldest first
    assert "-AlarmHigh-" in causes[0][1] and "triggered policy invocations" in causes[0][1]
    assert causes[-1][0] == "Setting desired instance count to 1."
    assert "-AlarmLow-" in causes[-1][1]
    assert all(a["StatusMessage"].startswith("Successfully set desired instance count") for a in activities)


def test_disable_scale_in_and_minimum_capacity(scaled: tuple[Endpoints, object], echo_archive: Path) -> None:
    endpoints, aas = scaled
    name = endpoints.deploy(echo_archive)
    # A minimum above the current count is applied at once, with that cause.
    aas.register_scalable_target(MinCapacity=2, MaxCapacity=3, **_target(name))
    until(lambda: _count(endpoints, name) == 2, 60, "the minimum capacity")
    aas.put_scaling_policy(**_policy(name, DisableScaleIn=True))
    with Load(endpoints.server, name, threads=2, rps=30) as load:
        until(lambda: _count(endpoints, name) == 3, 60, "scale-out")
    assert load.errors == []
    # 15 low periods is 7.5 s at this time scale; wait well past it: no scale-in.
    with pytest.raises(pytest.fail.Exception):
        until(lambda: _count(endpoints, name) < 3, 12, "a scale-in that must not happen")
    activities = aas.describe_scaling_activities(ServiceNamespace="sagemaker")["ScalingActivities"]
    causes = [a["Cause"] for a in activities]
    assert causes[-1] == "minimum capacity was set to 2"
    assert not any("-AlarmLow-" in c for c in causes)
