"""Task integrations: who is called for a Resource ARN, through the engine's client factory."""
from __future__ import annotations

from typing import Any, Callable

from ..errors import runtime_error
from . import aws_sdk, lambda_invoke, sagemaker
from .invocation import TaskInterrupted, TaskInvocation
from .resource import CALLBACK, SYNC, Resource, ResourceError, parse_resource

Handler = Callable[[TaskInvocation], Any]


def handler_for(resource: Resource) -> Handler:
    if resource.kind == "lambda-function":
        return lambda_invoke.invoke_function_arn
    if resource.service == "lambda" and resource.api == "invoke":
        return lambda_invoke.invoke_optimized
    if resource.service == "sagemaker":
        return sagemaker.invoke
    if resource.service == "aws-sdk":
        return aws_sdk.invoke

    def unsupported(invocation: TaskInvocation) -> Any:
        raise runtime_error(f"The resource {resource.arn} is not supported by this engine")

    return unsupported


def supported_patterns(resource: Resource) -> set[str]:
    """Integration patterns a resource accepts ("" is request-response)."""
    if resource.kind == "lambda-function":
        return {""}
    if resource.service == "sagemaker":
        return {"", SYNC} if resource.api in sagemaker.SYNC_JOBS else {""}
    if resource.service == "lambda":
        return {"", CALLBACK}
    if resource.service == "aws-sdk":
        return {"", CALLBACK}
    return {"", SYNC, CALLBACK}


__all__ = [
    "Resource", "ResourceError", "TaskInterrupted", "TaskInvocation", "handler_for",
    "parse_resource", "supported_patterns",
]
