"""Tear a deployment down: what the executions created (found by tag), then the stack.

Endpoints bill by the hour whether or not anyone calls them, and they are not
part of the stack (executions create them), so they go first: running
executions are stopped (which stops their SageMaker jobs), then the
autoscaling registrations, endpoints, endpoint configs and models tagged
``workflow:pipeline=<prefix>`` are deleted, then the stack.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from workflow.aws.changeset import physical_id, stack_status

TAG_KEY = "workflow:pipeline"


@dataclass
class Removed:
    executions: list[str] = field(default_factory=list)
    scalable_targets: list[str] = field(default_factory=list)
    endpoints: list[str] = field(default_factory=list)
    endpoint_configs: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    stack: str = ""

    def lines(self) -> list[str]:
        out: list[str] = []
        for label, items in (("stopped execution", self.executions), ("deregistered scalable target",
                             self.scalable_targets), ("deleted endpoint", self.endpoints),
                             ("deleted endpoint config", self.endpoint_configs), ("deleted model", self.models)):
            out.extend(f"{label}: {item}" for item in items)
        if self.stack:
            out.append(f"deleted stack: {self.stack}")
        return out


def _paged(call: Callable[..., dict[str, Any]], key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _tagged(sagemaker: Any, arn: str, prefix: str) -> bool:
    try:
        tags = sagemaker.list_tags(ResourceArn=arn).get("Tags", [])
    except ClientError:
        return False
    return any(t["Key"] == TAG_KEY and t["Value"] == prefix for t in tags)


def tagged_resources(sagemaker: Any, prefix: str) -> dict[str, list[str]]:
    """Names of the endpoints, endpoint configs and models tagged with this pipeline."""
    kinds = {"endpoints": (sagemaker.list_endpoints, "Endpoints", "EndpointName", "EndpointArn"),
             "endpoint_configs": (sagemaker.list_endpoint_configs, "EndpointConfigs", "EndpointConfigName",
                                  "EndpointConfigArn"),
             "models": (sagemaker.list_models, "Models", "ModelName", "ModelArn")}
    return {kind: [item[name] for item in _paged(call, key) if _tagged(sagemaker, item[arn], prefix)]
            for kind, (call, key, name, arn) in kinds.items()}


def _missing(exc: ClientError) -> bool:
    error = exc.response["Error"]
    return error["Code"] == "ResourceNotFound" or (
        error["Code"] == "ValidationException" and "could not find" in error.get("Message", "").lower())


def destroy(session: Any, region: str, stack_name: str, prefix: str, *, say: Callable[[str], None] = print,
            timeout: float = 1800.0, poll: float = 5.0) -> Removed:
    removed = Removed()
    cfn = session.client("cloudformation", region_name=region)
    sfn = session.client("stepfunctions", region_name=region)
    sagemaker = session.client("sagemaker", region_name=region)
    scaling = session.client("application-autoscaling", region_name=region)
    stack = stack_status(cfn, stack_name)
    machine = physical_id(cfn, stack["StackId"], "StateMachine") if stack else None
    if machine:
        for execution in _paged(sfn.list_executions, "executions", stateMachineArn=machine,
                                statusFilter="RUNNING"):
            sfn.stop_execution(executionArn=execution["executionArn"], error="Destroyed",
                               cause=f"deploy_workflow.py destroy removed stack {stack_name}")
            removed.executions.append(execution["name"])
            say(f"stopped execution {execution['name']}")
    found = tagged_resources(sagemaker, prefix)
    targets = list(_paged(scaling.describe_scalable_targets, "ScalableTargets", ServiceNamespace="sagemaker"))
    for endpoint in found["endpoints"]:
        for target in targets:
            if target["ResourceId"].startswith(f"endpoint/{endpoint}/"):
                scaling.deregister_scalable_target(ServiceNamespace="sagemaker", ResourceId=target["ResourceId"],
                                                   ScalableDimension=target["ScalableDimension"])
                removed.scalable_targets.append(target["ResourceId"])
                say(f"deregistered scalable target {target['ResourceId']}")
        _delete(sagemaker.delete_endpoint, "EndpointName", endpoint, removed.endpoints, "endpoint", say,
                timeout=timeout, poll=poll)
    for config in found["endpoint_configs"]:
        _delete(sagemaker.delete_endpoint_config, "EndpointConfigName", config, removed.endpoint_configs,
                "endpoint config", say, timeout=timeout, poll=poll)
    for model in found["models"]:
        _delete(sagemaker.delete_model, "ModelName", model, removed.models, "model", say,
                timeout=timeout, poll=poll)
    if stack is not None:
        say(f"deleting stack {stack_name} ...")
        cfn.delete_stack(StackName=stack["StackId"])
        _wait_deleted(cfn, stack["StackId"], timeout, poll, say)
        removed.stack = stack_name
    else:
        say(f"stack {stack_name} does not exist")
    return removed


def _delete(call: Callable[..., Any], key: str, name: str, into: list[str], label: str,
            say: Callable[[str], None], *, timeout: float, poll: float) -> None:
    """Delete one resource; one that is busy (an endpoint still Creating or Updating) is retried."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            call(**{key: name})
            break
        except ClientError as exc:
            if _missing(exc):
                return
            if exc.response["Error"]["Code"] != "ValidationException" or time.monotonic() > deadline:
                raise
            say(f"{label} {name} is busy ({exc.response['Error'].get('Message', '')}); retrying")
            time.sleep(poll)
    into.append(name)
    say(f"deleted {label} {name}")


def _wait_deleted(cfn: Any, stack_id: str, timeout: float, poll: float, say: Callable[[str], None]) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        if status != last:
            say(f"  {status}")
            last = status
        if status == "DELETE_COMPLETE":
            return
        if status == "DELETE_FAILED":
            raise RuntimeError(f"stack {stack_id} could not be deleted; see its events in the console")
        if time.monotonic() > deadline:
            raise RuntimeError(f"stack {stack_id} still {status} after {timeout:.0f} s")
        time.sleep(poll)
