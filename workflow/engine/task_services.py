"""The boto3 services a definition's Task states call, so a runner can connect ahead.

A boto3 client takes tens of milliseconds to build (hundreds on a busy
machine); building the ones a state machine will need when it is created
keeps that out of its first execution's Task states.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .integrations import ResourceError, parse_resource
from .integrations.aws_sdk import operation_for


def task_services(definition: dict[str, Any]) -> list[str]:
    """boto3 service names of every Task, in branches and Map processors too, in the order
    the definition first names them."""
    services: dict[str, None] = {}
    for arn in _resources(definition):
        try:
            resource = parse_resource(arn)
        except ResourceError:
            continue
        if resource.service == "aws-sdk":
            try:
                services[operation_for(resource.sdk_service, resource.api)[0]] = None
            except ValueError:
                continue
        elif resource.service in ("lambda", "sagemaker"):
            services[resource.service] = None
    return list(services)


def _resources(machine: Any) -> Iterator[Any]:
    states = machine.get("States") if isinstance(machine, dict) else None
    for state in (states or {}).values():
        if not isinstance(state, dict):
            continue
        if state.get("Type") == "Task":
            yield state.get("Resource")
        for branch in state.get("Branches") or []:
            yield from _resources(branch)
        yield from _resources(state.get("ItemProcessor") or state.get("Iterator"))
