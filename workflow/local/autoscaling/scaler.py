"""Target tracking on SageMakerVariantInvocationsPerInstance, run by one thread.

Like the CloudWatch alarms AWS creates for a target-tracking policy: every
period (one minute, divided by the server's time scale) the metric is the
invocations of the last period per instance; 3 periods above the target
(AlarmHigh) scale out, 15 periods below 90 % of it (AlarmLow) scale in, to
``ceil(capacity * metric / target)`` kept within MinCapacity..MaxCapacity, each
direction waiting out its cooldown. Capacity outside the registered range is
brought back into it first.
"""
from __future__ import annotations

import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from workflow.local.access.caller import APPLICATION_AUTOSCALING, ServicePrincipal
from workflow.local.autoscaling import targets as t
from workflow.local.context import ServerContext
from workflow.local.errors import ServiceError
from workflow.local.sagemaker.facade import EndpointState, sagemaker
from workflow.local.sagemaker_runtime.facade import sagemaker_runtime

log = logging.getLogger(__name__)
#: Application Auto Scaling reads metrics and changes capacity as itself.
CALLER = ServicePrincipal(APPLICATION_AUTOSCALING)

PERIOD = 60.0
HIGH_DATAPOINTS = 3
LOW_DATAPOINTS = 15
LOW_RATIO = 0.9
DEFAULT_COOLDOWN = 300.0


@dataclass
class _PolicyState:
    high: int = 0
    low: int = 0
    last_out: float = float("-inf")
    last_in: float = float("-inf")


def desired_capacity(current: int, metric: float, target: float, low: int, high: int) -> int:
    """Target tracking's answer: the capacity that brings the metric back to the target."""
    wanted = math.ceil(current * metric / target) if metric > 0 else 0
    return max(low, min(high, wanted))


Apply = Callable[[str, str, int], None]


class Scaler:
    """``apply(endpoint, variant, count)`` changes the capacity (default: the SageMaker
    backend's UpdateEndpointWeightsAndCapacities, as AWS does); ``clock`` times cooldowns."""

    def __init__(self, ctx: ServerContext, apply: Apply | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.apply = apply or self._update_endpoint
        self.clock = clock
        self._states: dict[str, _PolicyState] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def period(self) -> float:
        return PERIOD / self.ctx.time_scale

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="autoscaling")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.tick()
            except Exception:
                log.exception("autoscaling tick failed")

    # -- one evaluation ------------------------------------------------------------
    def tick(self) -> None:
        self._settle_activities()
        policies = self.ctx.store.list(t.POLICY)
        for target in self.ctx.store.list(t.TARGET):
            endpoint, variant = t.parse(target)
            current = self._capacity(endpoint, variant)
            if current is None:
                continue
            key = t.key(target)
            low, high = target["MinCapacity"], target["MaxCapacity"]
            if not low <= current <= high:
                bound = low if current < low else high
                word = "minimum" if current < low else "maximum"
                self._scale(target, endpoint, variant, bound, f"{word} capacity was set to {bound}")
                continue
            for policy in (p for p in policies if t.key(p) == key):
                if self._evaluate(target, policy, endpoint, variant, current):
                    break

    def _endpoint(self, endpoint: str) -> EndpointState | None:
        service = sagemaker(self.ctx)
        return service.endpoint(CALLER, endpoint) if service is not None else None

    def _capacity(self, endpoint: str, variant: str) -> int | None:
        """The variant's DesiredInstanceCount, or None while the endpoint is not InService."""
        state = self._endpoint(endpoint)
        found = state.variant(variant) if state is not None and state.status == "InService" else None
        return found.desired if found is not None else None

    def _evaluate(self, target: dict[str, Any], policy: dict[str, Any], endpoint: str,
                  variant: str, current: int) -> bool:
        config = policy["TargetTrackingScalingPolicyConfiguration"]
        goal = float(config["TargetValue"])
        state = self._states.setdefault(policy["PolicyARN"], _PolicyState())
        runtime = sagemaker_runtime(self.ctx)
        invocations = runtime.invocations(CALLER, endpoint, variant, self.period) if runtime else 0
        # Invocations per instance per (scaled) minute.
        metric = invocations / max(current, 1)
        state.high = state.high + 1 if metric > goal else 0
        state.low = state.low + 1 if metric < goal * LOW_RATIO else 0
        now = self.clock()
        scale = self.ctx.time_scale
        out_cool = config.get("ScaleOutCooldown", DEFAULT_COOLDOWN) / scale
        in_cool = config.get("ScaleInCooldown", DEFAULT_COOLDOWN) / scale
        wanted = desired_capacity(current, metric, goal, target["MinCapacity"], target["MaxCapacity"])
        suspended = target.get("SuspendedState") or {}
        if (state.high >= HIGH_DATAPOINTS and wanted > current and now - state.last_out >= out_cool
                and not suspended.get("DynamicScalingOutSuspended")):
            side = "High"
        elif (state.low >= LOW_DATAPOINTS and wanted < current and now - state.last_in >= in_cool
              and now - state.last_out >= out_cool and not config.get("DisableScaleIn")
              and not suspended.get("DynamicScalingInSuspended")):
            side = "Low"
        else:
            return False
        alarm = next(a["AlarmName"] for a in policy["Alarms"] if f"-Alarm{side}-" in a["AlarmName"])
        cause = f"monitor alarm {alarm} in state ALARM triggered policy {policy['PolicyName']}"
        if self._scale(target, endpoint, variant, wanted, cause):
            state.high = state.low = 0
            if side == "High":
                state.last_out = now
            else:
                state.last_in = now
        return True

    def _scale(self, target: dict[str, Any], endpoint: str, variant: str, count: int,
               cause: str) -> bool:
        try:
            self.apply(endpoint, variant, count)
        except ServiceError as e:
            # The endpoint is busy (e.g. Updating): the alarm stays high, the next period retries.
            log.info("autoscaling %s: %s", target["ResourceId"], e.message)
            return False
        activity_id = str(uuid.uuid4())
        self.ctx.store.put(t.ACTIVITY, activity_id, {
            "ActivityId": activity_id,
            "ServiceNamespace": target["ServiceNamespace"], "ResourceId": target["ResourceId"],
            "ScalableDimension": target["ScalableDimension"],
            "Description": f"Setting desired instance count to {count}.",
            "Cause": cause, "StartTime": datetime.now(timezone.utc),
            "StatusCode": "InProgress", "StatusMessage": "",
            "_Endpoint": endpoint, "_Count": count,
        })
        return True

    def _update_endpoint(self, endpoint: str, variant: str, count: int) -> None:
        service = sagemaker(self.ctx)
        if service is None:
            raise ServiceError("The local server runs without SageMaker.")
        service.set_instance_count(CALLER, endpoint, variant, count)

    def _settle_activities(self) -> None:
        """InProgress activities end when their endpoint is InService again."""
        for doc in self.ctx.store.list(t.ACTIVITY):
            if doc["StatusCode"] != "InProgress":
                continue
            endpoint = self._endpoint(doc["_Endpoint"])
            if endpoint is not None and endpoint.status == "Updating":
                continue
            reason = "The endpoint no longer exists." if endpoint is None else endpoint.failure_reason
            count = doc["_Count"]
            message = (f"Failed to set desired instance count to {count}. {reason}" if reason else
                       f"Successfully set desired instance count to {count}. "
                       "Change successfully fulfilled by sagemaker.")
            changes = {"StatusCode": "Failed" if reason else "Successful",
                       "EndTime": datetime.now(timezone.utc), "StatusMessage": message}
            self.ctx.store.update(t.ACTIVITY, doc["ActivityId"], lambda d, c=changes: d.update(c))  # type: ignore[misc]
