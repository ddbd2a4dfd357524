"""Application Auto Scaling for SageMaker variants: targets, target-tracking policies, activities."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from workflow.local.access.caller import APPLICATION_AUTOSCALING, ServicePrincipal
from workflow.local.autoscaling import targets as t
from workflow.local.autoscaling.scaler import Scaler
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.errors import ValidationException
from workflow.local.sagemaker.facade import sagemaker


def _page(items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    try:
        start = int(params.get("NextToken") or 0)
    except ValueError:
        raise ValidationException("NextToken is not valid") from None
    size = params.get("MaxResults") or 50
    out: dict[str, Any] = {"items": items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def _matches(doc: dict[str, Any], params: dict[str, Any]) -> bool:
    ids = params.get("ResourceIds") or ([params["ResourceId"]] if params.get("ResourceId") else None)
    return (
        doc["ServiceNamespace"] == params["ServiceNamespace"]
        and (not ids or doc["ResourceId"] in ids)
        and (not params.get("ScalableDimension") or doc["ScalableDimension"] == params["ScalableDimension"])
    )


class AutoScalingBackend(Backend):
    service = "application-autoscaling"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.scaler = Scaler(ctx)

    def start(self) -> None:
        self.scaler.start()

    def shutdown(self) -> None:
        self.scaler.stop()

    # -- scalable targets --------------------------------------------------------
    def register_scalable_target(self, params: dict[str, Any]) -> dict[str, Any]:
        endpoint, variant = t.parse(params)
        service = sagemaker(self.ctx)
        state = service.endpoint(ServicePrincipal(APPLICATION_AUTOSCALING), endpoint) if service else None
        if state is None or state.variant(variant) is None:
            raise ValidationException(
                f"Unable to register scalable target: variant {variant} of endpoint {endpoint} "
                "does not exist."
            )
        key = t.key(params)
        old = self.ctx.store.get(t.TARGET, key)
        low = params.get("MinCapacity", old and old["MinCapacity"])
        high = params.get("MaxCapacity", old and old["MaxCapacity"])
        if low is None or high is None:
            raise ValidationException(
                "MinCapacity and MaxCapacity are required to register a new scalable target."
            )
        if low < 0 or low > high:
            raise ValidationException(
                f"MinCapacity ({low}) must be between 0 and MaxCapacity ({high})."
            )
        target = old or {
            "ServiceNamespace": params["ServiceNamespace"], "ResourceId": params["ResourceId"],
            "ScalableDimension": params["ScalableDimension"],
            "CreationTime": datetime.now(timezone.utc),
            "ScalableTargetARN": self.ctx.arn(
                "application-autoscaling", f"scalable-target/{uuid.uuid4().hex[:28]}"),
            "RoleARN": params.get("RoleARN") or (
                f"arn:aws:iam::{self.ctx.account_id}:role/aws-service-role/"
                "sagemaker.application-autoscaling.amazonaws.com/"
                "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"),
            "SuspendedState": {"DynamicScalingInSuspended": False,
                               "DynamicScalingOutSuspended": False,
                               "ScheduledScalingSuspended": False},
        }
        target.update(MinCapacity=low, MaxCapacity=high)
        if params.get("SuspendedState"):
            target["SuspendedState"].update(params["SuspendedState"])
        self.ctx.store.put(t.TARGET, key, target)
        return {"ScalableTargetARN": target["ScalableTargetARN"]}

    def describe_scalable_targets(self, params: dict[str, Any]) -> dict[str, Any]:
        docs = [d for d in self.ctx.store.list(t.TARGET) if _matches(d, params)]
        out = _page(docs, params)
        out["ScalableTargets"] = out.pop("items")
        return out

    def deregister_scalable_target(self, params: dict[str, Any]) -> dict[str, Any]:
        key = t.key(params)
        if not self.ctx.store.delete(t.TARGET, key):
            raise t.not_registered(params)
        for policy in self.ctx.store.list(t.POLICY):
            if t.key(policy) == key:
                self.ctx.store.delete(t.POLICY, f"{key}|{policy['PolicyName']}")
        return {}

    # -- policies ----------------------------------------------------------------
    def put_scaling_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        t.parse(params)
        key = t.key(params)
        if self.ctx.store.get(t.TARGET, key) is None:
            raise t.not_registered(params)
        config = t.check_policy(params)
        name = params["PolicyName"]
        old = self.ctx.store.get(t.POLICY, f"{key}|{name}")
        policy_id = old["PolicyARN"].split(":")[6] if old else str(uuid.uuid4())
        arn = (f"arn:aws:autoscaling:{self.ctx.region}:{self.ctx.account_id}:scalingPolicy:"
               f"{policy_id}:resource/{params['ServiceNamespace']}/{params['ResourceId']}:"
               f"policyName/{name}")
        alarms = [
            {"AlarmName": f"TargetTracking-{params['ResourceId']}-Alarm{side}-{policy_id}",
             "AlarmARN": self.ctx.arn("cloudwatch", f"alarm:TargetTracking-{params['ResourceId']}"
                                      f"-Alarm{side}-{policy_id}")}
            for side in ("High", "Low")
        ]
        doc = {
            "PolicyARN": arn, "PolicyName": name,
            "ServiceNamespace": params["ServiceNamespace"], "ResourceId": params["ResourceId"],
            "ScalableDimension": params["ScalableDimension"], "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": config, "Alarms": alarms,
            "CreationTime": old["CreationTime"] if old else datetime.now(timezone.utc),
        }
        self.ctx.store.put(t.POLICY, f"{key}|{name}", doc)
        return {"PolicyARN": arn, "Alarms": alarms}

    def describe_scaling_policies(self, params: dict[str, Any]) -> dict[str, Any]:
        names = params.get("PolicyNames")
        docs = [d for d in self.ctx.store.list(t.POLICY)
                if _matches(d, params) and (not names or d["PolicyName"] in names)]
        out = _page(docs, params)
        out["ScalingPolicies"] = out.pop("items")
        return out

    def delete_scaling_policy(self, params: dict[str, Any]) -> dict[str, Any]:
        if not self.ctx.store.delete(t.POLICY, f"{t.key(params)}|{params['PolicyName']}"):
            raise t.ObjectNotFoundException(
                f"No scaling policy found for service namespace: {params['ServiceNamespace']}, "
                f"resource ID: {params['ResourceId']}, scalable dimension: "
                f"{params['ScalableDimension']}, policy name: {params['PolicyName']}"
            )
        return {}

    # -- what SageMaker asks, through the facade ---------------------------------------
    def registered_variants(self, endpoint: str) -> frozenset[str]:
        return frozenset(variant for variant_endpoint, variant in self._endpoint_targets()
                         if variant_endpoint == endpoint)

    def deregister_endpoint(self, endpoint: str) -> None:
        for target in self.ctx.store.list(t.TARGET):
            if t.parse(target)[0] == endpoint:
                self.deregister_scalable_target(target)

    def _endpoint_targets(self) -> list[tuple[str, str]]:
        return [t.parse(target) for target in self.ctx.store.list(t.TARGET)]

    # -- activities --------------------------------------------------------------
    def describe_scaling_activities(self, params: dict[str, Any]) -> dict[str, Any]:
        docs = [{k: v for k, v in d.items() if not k.startswith("_")}
                for d in reversed(self.ctx.store.list(t.ACTIVITY)) if _matches(d, params)]
        out = _page(docs, params)
        out["ScalingActivities"] = out.pop("items")
        return out
