"""Endpoint operations and their lifecycle: Creating -> InService | Failed, Updating, Deleting.

Each change runs on its own thread and writes the endpoint's status to the store
as it goes, like SageMaker does asynchronously; the running workers live in
``self.fleets`` (endpoint name -> LiveEndpoint).
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Unpack, cast

from workflow.local import background
from workflow.local.access.caller import SAGEMAKER, ServicePrincipal
from workflow.local.autoscaling.facade import application_autoscaling
from workflow.local.background import MAX_REASON, failure_reason
from workflow.local.context import ServerContext
from workflow.local.errors import ResourceLimitExceeded, ServiceUnavailable, ValidationException
from workflow.local.s3.facade import s3_access
from workflow.local.sagemaker.hosting import artifacts, rules
from workflow.local.sagemaker.hosting.fleet import LiveEndpoint, Variant, launch, stop_all
from workflow.local.sagemaker.hosting.model_data import ModelData
from workflow.local.sagemaker.hosting.models import ModelOperations
from workflow.local.sagemaker.hosting.records import (
    EndpointChange,
    EndpointConfigRecord,
    EndpointRecord,
    ProductionVariantSummary,
)
from workflow.local.sagemaker.hosting.resources import HOSTING_PAGE, check_name, now
from workflow.local.sagemaker.hosting.worker import WorkerSpec, WorkerStartError
from workflow.local.sagemaker.listing import list_answer, public
from workflow.local.sagemaker.statuses import EndpointStatus
from workflow.local.sagemaker_runtime.facade import sagemaker_runtime

#: Who SageMaker's own calls to other services come from.
CALLER = ServicePrincipal(SAGEMAKER)
#: In-flight requests on retired workers get this long to finish (the model timeout).
DRAIN_TIMEOUT = 60.0


def max_instances() -> int:
    """Instances (worker processes) allowed across all endpoints on this machine."""
    return int(os.environ.get("LOCAL_SAGEMAKER_MAX_INSTANCES", "8"))


class EndpointOperations(ModelOperations):
    ctx: ServerContext
    fleets: dict[str, LiveEndpoint]
    lock: threading.RLock
    stopping: bool

    def endpoint_arn(self, name: str) -> str:
        return self.ctx.arn("sagemaker", f"endpoint/{name.lower()}")

    def get_endpoint(self, name: str) -> EndpointRecord:
        return self.endpoints.require(
            name, lambda: ValidationException(f'Could not find endpoint "{self.endpoint_arn(name)}".'))

    def _set(self, name: str, **changes: Unpack[EndpointChange]) -> EndpointRecord | None:
        def change(doc: EndpointRecord) -> None:
            fields = cast("dict[str, Any]", doc)  # a None clears its field: not a record's value
            fields.update(changes)
            doc["LastModifiedTime"] = now()
            for key in [k for k, v in changes.items() if v is None]:
                fields.pop(key)
        return self.endpoints.update(name, change)

    def _scalable(self, name: str) -> frozenset[str]:
        scaling = application_autoscaling(self.ctx)
        return scaling.registered_variants(CALLER, name) if scaling else frozenset()

    def _check_capacity(self, name: str, delta: int, instance_type: str) -> None:
        used = sum(
            len(live.workers()) for key, live in self.fleets.items() if key != name
        )
        limit = max_instances()
        if used + delta > limit:
            raise ResourceLimitExceeded(
                f"The account-level service limit '{instance_type} for endpoint usage' is "
                f"{limit} Instances, with current utilization of {used} Instances and a "
                f"request delta of {delta} Instances. Please use AWS Service Quotas to "
                "request an increase for this quota."
            )

    def _spec(self, endpoint: str, model_name: str) -> WorkerSpec:
        model = self.get_model(model_name)
        data = ModelData(s3_access(self.ctx), model.get("ExecutionRoleArn"))
        files = artifacts.prepare(model, self.ctx.data_dir / "hosting" / "models", data.fetch)
        env = {str(k): str(v) for k, v in (model["PrimaryContainer"].get("Environment") or {}).items()}
        return WorkerSpec(files=files, environment=env,
                          log_dir=self.ctx.data_dir / "hosting" / "logs" / endpoint)

    def _variant_docs(self, config: EndpointConfigRecord, live: LiveEndpoint) -> list[ProductionVariantSummary]:
        docs: list[ProductionVariantSummary] = []
        for pv in config["ProductionVariants"]:
            v = live.variants[pv["VariantName"]]
            image = self.get_model(pv["ModelName"])["PrimaryContainer"].get("Image", "local")
            docs.append({
                "VariantName": v.name,
                "DeployedImages": [{"SpecifiedImage": image, "ResolvedImage": image}],
                "CurrentWeight": v.weight, "DesiredWeight": v.weight,
                "CurrentInstanceCount": len(v.workers), "DesiredInstanceCount": v.desired,
            })
        return docs

    # -- operations --------------------------------------------------------------
    def create_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        name, config_name = params["EndpointName"], params["EndpointConfigName"]
        check_name(name, "EndpointName", "endpointName")
        arn = self.endpoint_arn(name)
        with self.lock:  # the config cannot be deleted between this look and the insert
            config = self.get_config(config_name)
            if self.endpoints.get(name) is not None:
                raise ValidationException(f'Cannot create already existing endpoint "{arn}".')
            pvs = config["ProductionVariants"]
            self._check_capacity(name, sum(v["InitialInstanceCount"] for v in pvs),
                                 pvs[0]["InstanceType"])
            stamp = now()
            doc = EndpointRecord(EndpointName=name, EndpointArn=arn, EndpointConfigName=config_name,
                                 EndpointStatus=EndpointStatus.CREATING, CreationTime=stamp,
                                 LastModifiedTime=stamp)
            if not self.endpoints.insert(name, doc):
                raise ValidationException(f'Cannot create already existing endpoint "{arn}".')
        self._spawn(self._create, name, config)
        return {"EndpointArn": arn}

    def describe_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        return public(self.get_endpoint(params["EndpointName"]))

    def list_endpoints(self, params: dict[str, Any]) -> dict[str, Any]:
        return list_answer("Endpoints", self.endpoints.list(), params,
                           ("EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus"),
                           name_key="EndpointName", status_key="EndpointStatus", default_size=HOSTING_PAGE)

    def _settled(self, name: str, verb: str) -> EndpointRecord:
        doc = self.get_endpoint(name)
        if self.stopping:
            raise ServiceUnavailable("The local server is shutting down.")
        rules.check_can_change(doc, verb)
        return doc

    def update_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EndpointName"]
        with self.lock:
            doc = self._settled(name, "update")
            config = self.get_config(params["EndpointConfigName"])
            current = self.configs.get(doc["EndpointConfigName"])
            if current is not None:
                rules.check_scalable_variants(doc["EndpointArn"], current, config, self._scalable(name))
            if params.get("RetainAllVariantProperties"):
                excluded = [p["VariantPropertyType"] for p in params.get("ExcludeRetainedVariantProperties") or []]
                config = rules.retained_variants(config, doc, excluded)
            live = self.fleets.get(name)
            # Old and new workers overlap during the switch, so both count.
            self._check_capacity(
                "", sum(v["InitialInstanceCount"] for v in config["ProductionVariants"]),
                config["ProductionVariants"][0]["InstanceType"],
            )
            self._set(name, EndpointStatus=EndpointStatus.UPDATING, FailureReason=None,
                      PendingDeploymentSummary={"EndpointConfigName": config["EndpointConfigName"],
                                                "StartTime": now()})
        self._spawn(self._update, name, config, live)
        return {"EndpointArn": doc["EndpointArn"]}

    def update_endpoint_weights_and_capacities(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EndpointName"]
        with self.lock:
            doc = self._settled(name, "update")
            live = self.fleets.get(name)
            if live is None:
                raise ValidationException(f'Cannot update in-progress endpoint "{doc["EndpointArn"]}".')
            wanted = params["DesiredWeightsAndCapacities"]
            missing = [w["VariantName"] for w in wanted if w["VariantName"] not in live.variants]
            if missing:
                raise ValidationException(
                    f'The variant(s) "{missing}" are not present in the endpoint '
                    f'"{doc["EndpointArn"]}".'
                )
            grow = sum(max(0, w.get("DesiredInstanceCount", 0)
                           - len(live.variants[w["VariantName"]].workers)) for w in wanted)
            self._check_capacity("", grow, "ml.m5.large")
            self._set(name, EndpointStatus=EndpointStatus.UPDATING, FailureReason=None)
        self._spawn(self._resize, name, wanted)
        return {"EndpointArn": doc["EndpointArn"]}

    def delete_endpoint(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EndpointName"]
        with self.lock:
            rules.check_can_change(self.get_endpoint(name), "delete")
            self._set(name, EndpointStatus=EndpointStatus.DELETING)
            live = self.fleets.pop(name, None)
        scaling = application_autoscaling(self.ctx)
        if scaling is not None:
            scaling.deregister_endpoint(CALLER, name)
        self._spawn(self._delete, name, live)
        return {}

    # -- lifecycle threads -------------------------------------------------------
    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        background.start(f"endpoint-{target.__name__.strip('_')}-{name}",
                         lambda: target(name, *args), lambda err: self._settle(name, err))

    def _settle(self, name: str, err: Exception) -> None:
        """A change that failed in an unforeseen way still ends as SageMaker's would: a
        creation Failed, an update or a resize back InService on what served before."""
        with self.lock:
            doc = self.endpoints.get(name)
            if doc is None or doc["EndpointStatus"] == EndpointStatus.DELETING:
                return
            creating = doc["EndpointStatus"] == EndpointStatus.CREATING
            self._set(name, EndpointStatus=EndpointStatus.FAILED if creating else EndpointStatus.IN_SERVICE,
                      FailureReason=failure_reason(err), PendingDeploymentSummary=None)

    def _start_variants(self, name: str, config: EndpointConfigRecord) -> dict[str, Variant]:
        variants: dict[str, Variant] = {}
        try:
            for pv in config["ProductionVariants"]:
                spec = self._spec(name, pv["ModelName"])
                count = pv["InitialInstanceCount"]
                variants[pv["VariantName"]] = Variant(
                    name=pv["VariantName"], weight=float(pv.get("InitialVariantWeight", 1.0)),
                    spec=spec, workers=launch(spec, pv["VariantName"], count), desired=count,
                )
        except BaseException:
            stop_all(w for v in variants.values() for w in v.workers)
            raise
        return variants

    def _create(self, name: str, config: EndpointConfigRecord) -> None:
        try:
            variants = self._start_variants(name, config)
        except (artifacts.ArtifactError, WorkerStartError, ValidationException) as e:
            with self.lock:
                self._set(name, EndpointStatus=EndpointStatus.FAILED, FailureReason=str(e)[:MAX_REASON])
            return
        live = LiveEndpoint(name, variants)
        with self.lock:
            doc = self.endpoints.get(name)
            if doc is None or doc["EndpointStatus"] == EndpointStatus.DELETING or self.stopping:
                stop_all(live.workers())
                return
            self.fleets[name] = live
            self._set(name, EndpointStatus=EndpointStatus.IN_SERVICE, EndpointConfigName=config["EndpointConfigName"],
                      ProductionVariants=self._variant_docs(config, live))

    def _update(self, name: str, config: EndpointConfigRecord, live: LiveEndpoint | None) -> None:
        try:
            variants = self._start_variants(name, config)
        except (artifacts.ArtifactError, WorkerStartError, ValidationException) as e:
            # SageMaker rolls a failed update back: the old fleet keeps serving, and the endpoint
            # is InService on its old config with the reason ("FailureReason: ... or the status
            # is InService but update operation fails", DescribeEndpoint, SageMaker API Reference).
            self._set(name, EndpointStatus=EndpointStatus.IN_SERVICE, FailureReason=str(e)[:MAX_REASON],
                      PendingDeploymentSummary=None)
            return
        with self.lock:
            if self.fleets.get(name) is not live or live is None or self.stopping:
                stop_all(w for v in variants.values() for w in v.workers)
                return
            old = live.swap(variants)
            self._set(name, EndpointStatus=EndpointStatus.IN_SERVICE, EndpointConfigName=config["EndpointConfigName"],
                      ProductionVariants=self._variant_docs(config, live), PendingDeploymentSummary=None)
        live.retire(old, DRAIN_TIMEOUT)

    def _resize(self, name: str, wanted: list[dict[str, Any]]) -> None:
        live = self.fleets.get(name)
        failure = None
        for item in wanted if live else []:
            assert live is not None  # the loop runs only for a live fleet
            variant = live.variants[item["VariantName"]]
            if "DesiredWeight" in item:
                with live.cond:
                    variant.weight = float(item["DesiredWeight"])
            target = item.get("DesiredInstanceCount")
            if target is None:
                continue
            variant.desired = target
            have = len(variant.workers)
            try:
                if target > have:
                    started = launch(variant.spec, variant.name, target - have)
                    with self.lock:
                        if self.stopping or self.fleets.get(name) is not live:
                            stop_all(started)  # the server or the endpoint went away meanwhile
                            return
                        live.add(variant.name, started)
                elif target < have:
                    live.retire(live.take_out(variant.name, have - target), DRAIN_TIMEOUT)
            except WorkerStartError as e:
                failure = str(e)
        with self.lock:
            doc = self.endpoints.get(name)
            if doc is None or doc["EndpointStatus"] != EndpointStatus.UPDATING or live is None:
                return
            variants: list[ProductionVariantSummary] = []
            for pv in doc.get("ProductionVariants", []):
                v = live.variants.get(pv["VariantName"])
                if v is not None:
                    pv.update({"CurrentWeight": v.weight, "DesiredWeight": v.weight,
                               "CurrentInstanceCount": len(v.workers), "DesiredInstanceCount": v.desired})
                variants.append(pv)
            self._set(name, EndpointStatus=EndpointStatus.IN_SERVICE, ProductionVariants=variants,
                      FailureReason=failure)

    def _delete(self, name: str, live: LiveEndpoint | None) -> None:
        if live is not None:
            live.retire(live.workers(), timeout=5.0)
        runtime = sagemaker_runtime(self.ctx)
        if runtime is not None:
            # A new endpoint of the same name starts with no history (autoscaling reads it).
            runtime.forget_endpoint(CALLER, name)
        self.endpoints.delete(name)

