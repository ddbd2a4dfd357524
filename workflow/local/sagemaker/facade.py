"""The typed interface other local services use to reach SageMaker.

Application Auto Scaling reads a variant's capacity and sets it, CloudWatch reads an
endpoint's instance counts, SageMaker Runtime routes requests to an endpoint's instances and
Step Functions hears of jobs' ends. Each call names its caller, so authorization is decided
here, in one place; nothing outside this package reads SageMaker's store or its parts.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workflow.local.access.caller import Caller
from workflow.local.protocol.models import operation_model
from workflow.local.protocol.validation import validate
from workflow.local.sagemaker import SageMakerBackend
from workflow.local.sagemaker.hosting import Hosting
from workflow.local.sagemaker.hosting.fleet import LiveEndpoint, NoWorkerAvailable
from workflow.local.sagemaker.hosting.worker import Reply, WorkerUnreachable
from workflow.local.sagemaker.statuses import EndpointStatus
from workflow.local.sagemaker.training import TrainingJobs
from workflow.local.sagemaker.tuning import TuningJobs

if TYPE_CHECKING:
    from workflow.local.context import ServerContext

__all__ = ["EndpointState", "LiveEndpoint", "NoWorkerAvailable", "Reply", "SageMaker",
           "VariantCapacity", "WorkerUnreachable", "sagemaker"]


@dataclass(frozen=True)
class VariantCapacity:
    name: str
    desired: int
    #: Instances serving now (the desired count until an update has settled).
    current: int


@dataclass(frozen=True)
class EndpointState:
    name: str
    status: EndpointStatus
    failure_reason: str | None
    variants: tuple[VariantCapacity, ...]

    def variant(self, name: str) -> VariantCapacity | None:
        return next((v for v in self.variants if v.name == name), None)


class SageMaker:
    def __init__(self, backend: SageMakerBackend) -> None:
        self._backend = backend
        self._ctx = backend.ctx
        self._hosting: Hosting = backend.part(Hosting)

    def endpoint(self, caller: Caller, name: str) -> EndpointState | None:
        """The endpoint's status and variant capacities, as DescribeEndpoint tells them; None
        when there is no such endpoint."""
        self._ctx.authorize(caller, "sagemaker:DescribeEndpoint", [self._hosting.endpoint_arn(name)])
        doc = self._hosting.endpoint_record(name)
        if doc is None:
            return None
        variants = tuple(
            VariantCapacity(v["VariantName"], int(v["DesiredInstanceCount"]),
                            int(v.get("CurrentInstanceCount") or v["DesiredInstanceCount"]))
            for v in doc.get("ProductionVariants", []))
        return EndpointState(name, doc["EndpointStatus"], doc.get("FailureReason"), variants)

    def set_instance_count(self, caller: Caller, endpoint: str, variant: str, count: int) -> None:
        """UpdateEndpointWeightsAndCapacities for one variant, validated as a request is; raises
        SageMaker's errors (ValidationException while the endpoint is busy)."""
        params: dict[str, Any] = {
            "EndpointName": endpoint,
            "DesiredWeightsAndCapacities": [{"VariantName": variant, "DesiredInstanceCount": count}],
        }
        validate(params, operation_model("sagemaker", "UpdateEndpointWeightsAndCapacities").input_shape)
        self._ctx.authorize(caller, "sagemaker:UpdateEndpointWeightsAndCapacities",
                            [self._hosting.endpoint_arn(endpoint)])
        self._hosting.update_endpoint_weights_and_capacities(params)

    def live_endpoint(self, caller: Caller, name: str) -> LiveEndpoint | None:
        """The instances serving an endpoint (None while it has none), to route a request to.
        The runtime asks for its request's caller, whom the protocol layer authorized already."""
        return self._hosting.live(name)

    def on_job_finished(self, caller: Caller, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(kind, name)`` when a training job ("TrainingJob") or a tuning job
        ("HyperParameterTuningJob") reaches its final status: what SageMaker's job state-change
        events tell Step Functions' `.sync` integrations on AWS."""
        self._backend.part(TrainingJobs).finished_listeners.add(lambda name: listener("TrainingJob", name))
        self._backend.part(TuningJobs).finished_listeners.add(
            lambda name: listener("HyperParameterTuningJob", name))


def sagemaker(ctx: ServerContext) -> SageMaker | None:
    """The SageMaker service of this server; None when the server runs without it."""
    backend = ctx.backends.get("sagemaker")
    return SageMaker(backend) if isinstance(backend, SageMakerBackend) else None
