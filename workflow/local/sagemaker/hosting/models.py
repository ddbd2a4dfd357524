"""CreateModel / EndpointConfig operations: records in the store, checked like SageMaker."""
from __future__ import annotations

import threading
from typing import Any, cast

from workflow.local.context import ServerContext
from workflow.local.errors import ValidationException
from workflow.local.s3.facade import s3_access
from workflow.local.sagemaker.hosting import rules
from workflow.local.sagemaker.hosting.model_data import ModelData
from workflow.local.sagemaker.hosting.records import (
    EndpointConfigRecord,
    EndpointRecord,
    ModelRecord,
    ProductionVariant,
)
from workflow.local.sagemaker.hosting.resources import HOSTING_PAGE, check_name, now
from workflow.local.sagemaker.listing import list_answer, public
from workflow.local.sagemaker.record_table import RecordTable


class ModelOperations:
    ctx: ServerContext
    lock: threading.RLock
    models: RecordTable[ModelRecord]
    configs: RecordTable[EndpointConfigRecord]
    endpoints: RecordTable[EndpointRecord]

    # -- ARNs and lookups --------------------------------------------------------
    def model_arn(self, name: str) -> str:
        return self.ctx.arn("sagemaker", f"model/{name.lower()}")

    def config_arn(self, name: str) -> str:
        return self.ctx.arn("sagemaker", f"endpoint-config/{name.lower()}")

    def _model_missing(self, name: str) -> ValidationException:
        return ValidationException(f'Could not find model "{self.model_arn(name)}".')

    def _config_missing(self, name: str) -> ValidationException:
        return ValidationException(f'Could not find endpoint configuration "{self.config_arn(name)}".')

    def get_model(self, name: str) -> ModelRecord:
        return self.models.require(name, lambda: self._model_missing(name))

    def get_config(self, name: str) -> EndpointConfigRecord:
        return self.configs.require(name, lambda: self._config_missing(name))

    # -- models ------------------------------------------------------------------
    def create_model(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ModelName"]
        check_name(name, "ModelName", "modelName")
        containers = params.get("Containers") or []
        if params.get("PrimaryContainer") and containers:
            raise ValidationException("Specify PrimaryContainer or Containers, not both.")
        if not params.get("PrimaryContainer") and not containers:
            raise ValidationException("Either PrimaryContainer or Containers must be specified.")
        if len(containers) > 1:
            raise ValidationException(
                "The local endpoint serves one container per model; Containers has "
                f"{len(containers)} entries."
            )
        container = params.get("PrimaryContainer") or containers[0]
        url = container.get("ModelDataUrl")
        if url is not None:
            ModelData(s3_access(self.ctx), params.get("ExecutionRoleArn")).check(url)
        doc = ModelRecord(
            ModelName=name,
            ModelArn=self.model_arn(name),
            PrimaryContainer=container,
            CreationTime=now(),
            EnableNetworkIsolation=bool(params.get("EnableNetworkIsolation", False)),
        )
        if params.get("ExecutionRoleArn"):
            doc["ExecutionRoleArn"] = params["ExecutionRoleArn"]
        if not self.models.insert(name, doc):
            raise ValidationException(f'Cannot create already existing model "{doc["ModelArn"]}".')
        return {"ModelArn": doc["ModelArn"]}

    def describe_model(self, params: dict[str, Any]) -> dict[str, Any]:
        return public(self.get_model(params["ModelName"]))

    def _configs_in_use(self) -> dict[str, str]:
        return rules.configs_in_use(self.endpoints.list())

    def delete_model(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ModelName"]
        with self.lock:  # no endpoint starts using it meanwhile
            self.get_model(name)
            rules.check_model_deletable(self.model_arn(name), name, self.configs.list(),
                                        self._configs_in_use())
            if not self.models.delete(name):
                raise self._model_missing(name)
        return {}

    def list_models(self, params: dict[str, Any]) -> dict[str, Any]:
        return list_answer("Models", self.models.list(), params, ("ModelName", "ModelArn", "CreationTime"),
                           name_key="ModelName", default_size=HOSTING_PAGE)

    # -- endpoint configs -------------------------------------------------------
    def create_endpoint_config(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EndpointConfigName"]
        check_name(name, "EndpointConfigName", "endpointConfigName")
        variants = params["ProductionVariants"]
        if not variants:
            raise ValidationException("ProductionVariants must contain at least one variant.")
        seen: set[str] = set()
        for i, variant in enumerate(variants, 1):
            where = f"productionVariants.{i}"
            check_name(variant["VariantName"], "VariantName", f"{where}.member.variantName")
            if variant["VariantName"] in seen:
                raise ValidationException(
                    f"Variant name {variant['VariantName']} is used more than once."
                )
            seen.add(variant["VariantName"])
            if variant.get("ServerlessConfig"):
                raise ValidationException(
                    f"{where}.member.serverlessConfig: the local endpoint runs instances only."
                )
            if not variant.get("InitialInstanceCount"):
                raise ValidationException(
                    f"{where}.member.initialInstanceCount must be at least 1 "
                    "for an instance-based variant."
                )
            if not variant.get("ModelName"):
                raise ValidationException(f"{where}.member.modelName is required.")
            self.get_model(variant["ModelName"])
        doc = EndpointConfigRecord(
            EndpointConfigName=name,
            EndpointConfigArn=self.config_arn(name),
            # The request's variants (botocore checked their members), with SageMaker's defaults.
            ProductionVariants=[
                cast("ProductionVariant", {"InitialVariantWeight": 1.0, "InstanceType": "ml.m5.large", **v})
                for v in variants
            ],
            CreationTime=now(),
        )
        if not self.configs.insert(name, doc):
            raise ValidationException(
                f'Cannot create already existing endpoint configuration "{doc["EndpointConfigArn"]}".'
            )
        return {"EndpointConfigArn": doc["EndpointConfigArn"]}

    def describe_endpoint_config(self, params: dict[str, Any]) -> dict[str, Any]:
        return public(self.get_config(params["EndpointConfigName"]))

    def delete_endpoint_config(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["EndpointConfigName"]
        with self.lock:  # no endpoint starts using it meanwhile
            self.get_config(name)
            rules.check_config_deletable(self.config_arn(name), name, self._configs_in_use())
            if not self.configs.delete(name):
                raise self._config_missing(name)
        return {}

    def list_endpoint_configs(self, params: dict[str, Any]) -> dict[str, Any]:
        return list_answer("EndpointConfigs", self.configs.list(), params,
                           ("EndpointConfigName", "EndpointConfigArn", "CreationTime"),
                           name_key="EndpointConfigName", default_size=HOSTING_PAGE)
