"""The target-tracking decisions, tick by tick, with a controlled clock and real metrics."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workflow.local.autoscaling.backend import AutoScalingBackend
from workflow.local.autoscaling.scaler import HIGH_DATAPOINTS, LOW_DATAPOINTS, Scaler
from workflow.local.context import ServerContext
from workflow.local.sagemaker import SageMakerBackend
from workflow.local.sagemaker_runtime.backend import SageMakerRuntimeBackend
from workflow.local.store import Store

TARGET = {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/dogs/variant/AllTraffic",
          "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"}


class Harness:
    """A store with one endpoint, real metrics, and a capacity change that updates the record."""

    def __init__(self, tmp: Path, disable_scale_in: bool = False, low: int = 1, high: int = 4) -> None:
        self.ctx = ServerContext(data_dir=tmp, store=Store(tmp / "db.sqlite3"),
                                 endpoint_url="http://127.0.0.1:1", time_scale=6.0)
        self.runtime = SageMakerRuntimeBackend(self.ctx)
        self.ctx.backends["sagemaker-runtime"] = self.runtime
        self.ctx.backends["sagemaker"] = SageMakerBackend(self.ctx)
        self.ctx.store.put("sagemaker.endpoint", "dogs", {
            "EndpointName": "dogs", "EndpointStatus": "InService",
            "ProductionVariants": [{"VariantName": "AllTraffic", "DesiredInstanceCount": 1}]})
        aas = AutoScalingBackend(self.ctx)
        aas.handle("RegisterScalableTarget", {**TARGET, "MinCapacity": low, "MaxCapacity": high})
        aas.handle("PutScalingPolicy", {**TARGET, "PolicyName": "p", "PolicyType": "TargetTrackingScaling",
                                        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 10.0, "ScaleOutCooldown": 60, "ScaleInCooldown": 120,
            "DisableScaleIn": disable_scale_in,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}})
        self.aas = aas
        self.now = 0.0
        self.changes: list[int] = []
        self.scaler = Scaler(self.ctx, apply=self._apply, clock=lambda: self.now)

    def _apply(self, endpoint: str, variant: str, count: int) -> None:
        self.changes.append(count)
        self.ctx.store.update("sagemaker.endpoint", endpoint, lambda d: d["ProductionVariants"][0].update(
            DesiredInstanceCount=count))

    def tick(self, invocations: int, advance: float = 1.0) -> None:
        """One period in which the variant served ``invocations`` requests in all."""
        self.now += advance
        self.runtime.metrics.forget("dogs")
        for _ in range(invocations):
            self.runtime.metrics.record("dogs", "AllTraffic", 0.001, 200)
        self.scaler.tick()

    def activities(self) -> list[dict[str, Any]]:
        answer = self.aas.handle("DescribeScalingActivities", {"ServiceNamespace": "sagemaker"})
        return answer["ScalingActivities"]


def test_scale_out_waits_for_alarm_high_and_cooldown(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    for _ in range(HIGH_DATAPOINTS - 1):
        h.tick(25)
    assert h.changes == []  # AlarmHigh needs three datapoints above the target
    h.tick(25)
    assert h.changes == [3]  # ceil(1 * 25 / 10)
    for _ in range(HIGH_DATAPOINTS + 2):
        h.tick(60)  # 20 per instance: still high, but inside the 10 s scaled cooldown
    assert h.changes == [3]
    h.tick(60, advance=10.0)
    assert h.changes == [3, 4]  # ceil(3 * 20 / 10) = 6, kept at MaxCapacity
    (latest, first) = h.activities()
    assert first["Description"] == "Setting desired instance count to 3."
    assert "-AlarmHigh-" in first["Cause"] and first["Cause"].endswith("triggered policy p")
    assert latest["Description"] == "Setting desired instance count to 4."
    assert first["StatusCode"] == "Successful"  # settled on the next tick: endpoint InService


def test_scale_in_after_alarm_low(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h._apply("dogs", "AllTraffic", 4)
    h.changes.clear()
    for _ in range(LOW_DATAPOINTS - 1):
        h.tick(8)  # 2 per instance, below 90 % of the target
    assert h.changes == []
    h.tick(8)
    assert h.changes == [1]  # ceil(4 * 2 / 10)
    assert "-AlarmLow-" in h.activities()[0]["Cause"]


def test_disable_scale_in(tmp_path: Path) -> None:
    h = Harness(tmp_path, disable_scale_in=True)
    h._apply("dogs", "AllTraffic", 3)
    h.changes.clear()
    for _ in range(LOW_DATAPOINTS * 2):
        h.tick(0, advance=30.0)
    assert h.changes == []


@pytest.mark.parametrize("low, high, start, expected, cause", [
    (2, 4, 1, 2, "minimum capacity was set to 2"),
    (1, 2, 3, 2, "maximum capacity was set to 2"),
])
def test_capacity_outside_the_range_is_corrected(tmp_path: Path, low: int, high: int, start: int,
                                                 expected: int, cause: str) -> None:
    h = Harness(tmp_path, low=low, high=high)
    h._apply("dogs", "AllTraffic", start)
    h.changes.clear()
    h.tick(10)
    assert h.changes == [expected]
    assert h.activities()[0]["Cause"] == cause
