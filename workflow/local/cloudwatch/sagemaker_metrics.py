"""The AWS/SageMaker endpoint metrics, read from the runtime's invocation records.

Each invocation is one raw value of each metric, so every statistic means what it
means on AWS: Sum of Invocations is the count, Average of Invocation5XXErrors the
error rate, percentiles of ModelLatency the latency percentiles (microseconds).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NAMESPACE = "AWS/SageMaker"
DIMENSIONS = ("EndpointName", "VariantName")
#: The runtime's endpoint documents, for the instance count behind InvocationsPerInstance.
ENDPOINT_KIND = "sagemaker.endpoint"

#: (epoch seconds, latency seconds, HTTP status) as the runtime records them.
Sample = tuple[float, float, int]


@dataclass(frozen=True)
class Metric:
    unit: str
    #: One invocation -> the metric's raw value, given the variant's instance count.
    value: Callable[[Sample, int], float]


METRICS: dict[str, Metric] = {
    "Invocations": Metric("None", lambda s, n: 1.0),
    "InvocationsPerInstance": Metric("None", lambda s, n: 1.0 / max(n, 1)),
    "Invocation4XXErrors": Metric("None", lambda s, n: 1.0 if 400 <= s[2] < 500 else 0.0),
    "Invocation5XXErrors": Metric("None", lambda s, n: 1.0 if s[2] >= 500 or s[2] == 0 else 0.0),
    "ModelLatency": Metric("Microseconds", lambda s, n: s[1] * 1e6),
}


class SageMakerMetrics:
    """Reads ``ctx.backend("sagemaker-runtime").metrics``; holds nothing itself."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    def _runtime(self) -> Any:
        return self.ctx.backends.get("sagemaker-runtime")

    def series(self) -> list[tuple[str, str]]:
        """(endpoint, variant) pairs that have data."""
        runtime = self._runtime()
        return sorted(runtime.metrics.variants()) if runtime is not None else []

    def instance_count(self, endpoint: str, variant: str) -> int:
        doc = self.ctx.store.get(ENDPOINT_KIND, endpoint) or {}
        for v in doc.get("ProductionVariants", []):
            if v.get("VariantName") == variant:
                return int(v.get("CurrentInstanceCount") or v.get("DesiredInstanceCount") or 1)
        return 1

    def values(self, metric: str, endpoint: str, variant: str, start: float, end: float
               ) -> list[tuple[float, float]]:
        """(epoch seconds, raw value) of ``metric`` in [start, end)."""
        runtime = self._runtime()
        spec = METRICS.get(metric)
        if runtime is None or spec is None:
            return []
        samples = runtime.metrics.samples(endpoint, variant, start, end)
        count = self.instance_count(endpoint, variant) if samples else 1
        return [(s[0], spec.value(s, count)) for s in samples]


def dimension_values(dimensions: list[dict[str, str]] | None) -> tuple[str, str] | None:
    """(endpoint, variant) when the dimensions are exactly EndpointName and VariantName:
    CloudWatch matches a metric's whole dimension set, never a subset."""
    given = {d["Name"]: d["Value"] for d in dimensions or []}
    if len(dimensions or []) != len(DIMENSIONS) or set(given) != set(DIMENSIONS):
        return None
    return given["EndpointName"], given["VariantName"]
