"""The typed interface other local services use to reach SageMaker Runtime: its invocation
records, the numbers CloudWatch holds for an endpoint.

Application Auto Scaling reads the invocations of the last period, CloudWatch reads the
samples behind its statistics, SageMaker forgets a deleted endpoint's history. Each call
names its caller; nothing outside this package reads the runtime's records.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, cast

from workflow.local.access.caller import Caller

if TYPE_CHECKING:
    # Only for types: the backend reaches other services through their facades, which
    # reach this one.
    from workflow.local.context import ServerContext
    from workflow.local.sagemaker_runtime.backend import SageMakerRuntimeBackend

#: (epoch seconds, latency seconds, HTTP status) of one invocation.
Sample = tuple[float, float, int]


class SageMakerRuntime:
    def __init__(self, backend: SageMakerRuntimeBackend) -> None:
        self._metrics = backend.metrics

    def invocations(self, caller: Caller, endpoint: str, variant: str, seconds: float) -> int:
        """Invocations (any outcome) of the variant that finished in the last ``seconds``."""
        return self._metrics.invocations(endpoint, variant, seconds)

    def samples(self, caller: Caller, endpoint: str, variant: str, start: float, end: float) -> list[Sample]:
        """The variant's invocations that finished in [start, end) (epoch seconds)."""
        return self._metrics.samples(endpoint, variant, start, end)

    def variants(self, caller: Caller) -> list[tuple[str, str]]:
        """(endpoint, variant) pairs that have recent invocations."""
        return self._metrics.variants()

    def forget_endpoint(self, caller: Caller, endpoint: str) -> None:
        """Drop a deleted endpoint's history: a new endpoint of its name starts with none."""
        self._metrics.forget(endpoint)


def sagemaker_runtime(ctx: ServerContext) -> SageMakerRuntime | None:
    """The SageMaker Runtime service of this server; None when the server runs without it."""
    backend = ctx.backends.get("sagemaker-runtime")
    return SageMakerRuntime(cast("SageMakerRuntimeBackend", backend)) if backend is not None else None
