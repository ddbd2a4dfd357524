"""SageMaker Runtime: InvokeEndpoint, routed to the endpoint's worker processes."""
from __future__ import annotations

import time
from typing import Any

from workflow.local.access import caller as callers
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.errors import ClientError, ServiceUnavailable
from workflow.local.sagemaker.facade import LiveEndpoint, NoWorkerAvailable, Reply, WorkerUnreachable, sagemaker
from workflow.local.sagemaker_runtime.metrics import InvocationMetrics

#: SageMaker's limits for real-time endpoints.
MAX_PAYLOAD = 6 * 1024 * 1024
MODEL_TIMEOUT = 60.0
#: The scaled timeout never drops below this: a busy laptop must not turn into ModelErrors.
MIN_MODEL_TIMEOUT = 5.0


class ValidationError(ClientError):
    pass


class ModelError(ClientError):
    pass


class SageMakerRuntimeBackend(Backend):
    service = "sagemaker-runtime"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.metrics = InvocationMetrics()

    @property
    def model_timeout(self) -> float:
        # Like every wait the server makes, scaled so tests can reach it in seconds.
        return max(MIN_MODEL_TIMEOUT, MODEL_TIMEOUT / self.ctx.time_scale)

    def _live(self, name: str) -> LiveEndpoint | None:
        service = sagemaker(self.ctx)
        return service.live_endpoint(callers.current(), name) if service is not None else None

    def invoke_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EndpointName"]
        body = params["Body"]
        if isinstance(body, str):
            body = body.encode()
        if len(body) > MAX_PAYLOAD:
            raise ValidationError(
                f"Received payload of {len(body)} bytes, which exceeds the maximum payload "
                f"size of {MAX_PAYLOAD} bytes (6 MB) for InvokeEndpoint."
            )
        # Workers are routed only once the endpoint is InService, and no longer once
        # it is Deleting; Updating endpoints keep serving.
        live = self._live(name)
        if live is None:
            raise ValidationError(f"Endpoint {name} of account {self.ctx.account_id} not found.")
        target = params.get("TargetVariant")
        if target is not None and target not in live.variants:
            raise ValidationError(
                f"Variant {target} does not exist for endpoint {name} of account "
                f"{self.ctx.account_id}."
            )
        reply, variant = self._send(live, target, body, params)
        if reply.status != 200:
            kind = "client" if reply.status < 500 else "server"
            message = reply.body.decode("utf-8", "replace")[:1024]
            log_group = f"/aws/sagemaker/Endpoints/{name}"
            raise ModelError(
                f'Received {kind} error ({reply.status}) from primary with message "{message}". '
                f"See the worker logs under {self.ctx.data_dir / 'hosting' / 'logs' / name} "
                "for more information.",
                fields={
                    "OriginalStatusCode": reply.status,
                    "OriginalMessage": message,
                    "LogStreamArn": self.ctx.arn("logs", f"log-group:{log_group}"),
                },
            )
        out: dict[str, Any] = {
            "Body": reply.body, "ContentType": reply.content_type,
            "InvokedProductionVariant": variant,
        }
        if reply.custom_attributes:
            out["CustomAttributes"] = reply.custom_attributes
        return out

    def _send(self, live: LiveEndpoint, target: str | None, body: bytes, params: dict[str, Any]) -> tuple[Reply, str]:
        """One request to the least busy worker; a worker that vanished gets one retry elsewhere."""
        timeout = self.model_timeout
        for attempt in (1, 2):
            try:
                variant, worker = live.acquire(target, timeout=timeout)
            except NoWorkerAvailable as e:
                raise ServiceUnavailable(str(e)) from None
            started = time.perf_counter()
            status = 0
            try:
                reply = worker.invoke(body, params.get("ContentType"), params.get("Accept"),
                                      params.get("CustomAttributes"), timeout)
                status = reply.status
                return reply, variant.name
            except TimeoutError:
                status = 504
                raise ModelError(
                    "Received server error (0) from primary with message \"Your invocation timed "
                    "out while waiting for a response from container primary.\"",
                    fields={"OriginalStatusCode": 0, "OriginalMessage": "timed out"},
                ) from None
            except WorkerUnreachable as e:
                status = 502
                if attempt == 2:
                    raise ServiceUnavailable(
                        f"The instance serving variant {variant.name} stopped answering: {e}"
                    ) from None
            finally:
                live.release(worker)
                if status != 502 or attempt == 2:  # a retried request is counted once
                    self.metrics.record(live.name, variant.name, time.perf_counter() - started, status)
        raise AssertionError("unreachable")
