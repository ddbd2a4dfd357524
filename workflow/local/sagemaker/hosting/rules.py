"""What SageMaker allows an endpoint change to do, as pure functions of the records involved.

Each rule follows the SageMaker API Reference or Developer Guide page named beside it; the
operations in ``endpoints.py`` and ``models.py`` call them before changing anything.
"""
from __future__ import annotations

from collections.abc import Iterable

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.hosting.records import EndpointConfigRecord, EndpointRecord, ProductionVariant
from workflow.local.sagemaker.statuses import EndpointStatus

#: An operation runs on the endpoint: SageMaker refuses UpdateEndpoint and DeleteEndpoint.
IN_PROGRESS = frozenset({EndpointStatus.CREATING, EndpointStatus.UPDATING, EndpointStatus.SYSTEM_UPDATING,
                         EndpointStatus.ROLLING_BACK, EndpointStatus.DELETING})


def check_can_change(doc: EndpointRecord, verb: str) -> None:
    """UpdateEndpoint and DeleteEndpoint need a settled endpoint; a Failed one can only be
    deleted ("DeleteEndpoint is the only operation that can be performed on a failed
    endpoint", DescribeEndpoint's EndpointStatus)."""
    status = doc["EndpointStatus"]
    if status in IN_PROGRESS:
        raise ValidationException(f'Cannot {verb} in-progress endpoint "{doc["EndpointArn"]}".')
    if status == EndpointStatus.FAILED and verb != "delete":
        raise ValidationException(f'Cannot {verb} failed endpoint "{doc["EndpointArn"]}".')


def retained_variants(config: EndpointConfigRecord, doc: EndpointRecord,
                      excluded: Iterable[str]) -> EndpointConfigRecord:
    """UpdateEndpoint with RetainAllVariantProperties: variants named as in the running endpoint
    keep its DesiredInstanceCount and DesiredWeight (autoscaling's changes included), except the
    properties listed in ExcludeRetainedVariantProperties, which come from the new config
    (UpdateEndpoint, SageMaker API Reference)."""
    skip = set(excluded)
    running = {v["VariantName"]: v for v in doc.get("ProductionVariants", [])}
    variants: list[ProductionVariant] = []
    for variant in config["ProductionVariants"]:
        old = running.get(variant["VariantName"])
        if old:
            variant = variant.copy()
            if "DesiredInstanceCount" not in skip:
                variant["InitialInstanceCount"] = old["DesiredInstanceCount"]
            if "DesiredWeight" not in skip:
                variant["InitialVariantWeight"] = old["DesiredWeight"]
        variants.append(variant)
    return {**config, "ProductionVariants": variants}


def check_scalable_variants(arn: str, current: EndpointConfigRecord, new: EndpointConfigRecord,
                            scalable: Iterable[str]) -> None:
    """An update may not change the instance type of, or remove, a variant registered with
    Application Auto Scaling; changing its model is allowed ("Update endpoints that use auto
    scaling", SageMaker Developer Guide)."""
    types = {v["VariantName"]: v.get("InstanceType") for v in new["ProductionVariants"]}
    for variant in current["ProductionVariants"]:
        name = variant["VariantName"]
        if name not in scalable:
            continue
        if name not in types:
            change = "remove it"
        elif types[name] != variant.get("InstanceType"):
            change = f"change its instance type ({variant.get('InstanceType')} to {types[name]})"
        else:
            continue
        raise ValidationException(
            f'The variant "{name}" of endpoint "{arn}" is registered as a scalable target with '
            f"Application Auto Scaling, so an update cannot {change}. Deregister the scalable "
            "target first and register it again once the endpoint is InService.")


def configs_in_use(endpoints: Iterable[EndpointRecord]) -> dict[str, str]:
    """Endpoint config name -> an endpoint that serves it or is being created or updated to it."""
    out: dict[str, str] = {}
    for doc in endpoints:
        out.setdefault(doc["EndpointConfigName"], doc["EndpointName"])
        pending = doc.get("PendingDeploymentSummary")
        if pending and pending["EndpointConfigName"]:
            out.setdefault(pending["EndpointConfigName"], doc["EndpointName"])
    return out


def check_config_deletable(arn: str, name: str, in_use: dict[str, str]) -> None:
    """"You must not delete an EndpointConfig in use by an endpoint that is live or while the
    UpdateEndpoint or CreateEndpoint operations are being performed on the endpoint"
    (DeleteEndpointConfig, SageMaker API Reference): AWS does not refuse it, the local server does."""
    if name in in_use:
        raise ValidationException(
            f'Cannot delete endpoint configuration "{arn}": endpoint "{in_use[name]}" uses it. '
            "SageMaker forbids deleting an endpoint config that a live endpoint uses or that "
            "CreateEndpoint or UpdateEndpoint is deploying; delete or update the endpoint first.")


def check_model_deletable(arn: str, name: str, configs: Iterable[EndpointConfigRecord],
                          in_use: dict[str, str]) -> None:
    """A model that an endpoint's config (current or being deployed) names may not be deleted:
    stricter than SageMaker on purpose, since an update back to that config (a roll-back)
    would then fail on AWS."""
    for config in configs:
        endpoint = in_use.get(config["EndpointConfigName"])
        if endpoint and any(v.get("ModelName") == name for v in config["ProductionVariants"]):
            raise ValidationException(
                f'Cannot delete model "{arn}": endpoint "{endpoint}" serves it through endpoint '
                f'configuration "{config["EndpointConfigName"]}". The local server refuses this '
                "(SageMaker would accept it, and an update back to that configuration would then "
                "fail); delete or update the endpoint first.")
