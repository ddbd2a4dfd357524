"""The AWS/SageMaker endpoint metrics, read from SageMaker Runtime's invocation records.

Each invocation is one raw value of each metric, so every statistic means what it
means on AWS: Sum of Invocations is the count, Average of Invocation5XXErrors the
error rate, percentiles of ModelLatency the latency percentiles (microseconds).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workflow.local.access.caller import CLOUDWATCH, ServicePrincipal
from workflow.local.context import ServerContext
from workflow.local.sagemaker.facade import sagemaker
from workflow.local.sagemaker_runtime.facade import Sample, sagemaker_runtime

NAMESPACE = "AWS/SageMaker"
DIMENSIONS = ("EndpointName", "VariantName")
#: CloudWatch receives SageMaker's metrics as itself.
CALLER = ServicePrincipal(CLOUDWATCH)


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
    """Reads SageMaker Runtime's invocation records through its facade; holds nothing itself."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx

    def series(self) -> list[tuple[str, str]]:
        """(endpoint, variant) pairs that have data."""
        runtime = sagemaker_runtime(self.ctx)
        return sorted(runtime.variants(CALLER)) if runtime is not None else []

    def instance_count(self, endpoint: str, variant: str) -> int:
        service = sagemaker(self.ctx)
        state = service.endpoint(CALLER, endpoint) if service is not None else None
        found = state.variant(variant) if state is not None else None
        return max(found.current, 1) if found is not None else 1

    def values(self, metric: str, endpoint: str, variant: str, start: float, end: float
               ) -> list[tuple[float, float]]:
        """(epoch seconds, raw value) of ``metric`` in [start, end)."""
        runtime = sagemaker_runtime(self.ctx)
        spec = METRICS.get(metric)
        if runtime is None or spec is None:
            return []
        samples = runtime.samples(CALLER, endpoint, variant, start, end)
        count = self.instance_count(endpoint, variant) if samples else 1
        return [(s[0], spec.value(s, count)) for s in samples]


def dimension_values(dimensions: list[dict[str, str]] | None) -> tuple[str, str] | None:
    """(endpoint, variant) when the dimensions are exactly EndpointName and VariantName:
    CloudWatch matches a metric's whole dimension set, never a subset."""
    given = {d["Name"]: d["Value"] for d in dimensions or []}
    if len(dimensions or []) != len(DIMENSIONS) or set(given) != set(DIMENSIONS):
        return None
    return given["EndpointName"], given["VariantName"]
