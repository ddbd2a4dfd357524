"""``arn:aws:states:::aws-sdk:<service>:<action>``: any boto3 operation by name.

Parameters are PascalCase in Step Functions even where the service model is camelCase,
and results come back PascalCase, so both are matched against botocore's shapes.
"""
from __future__ import annotations

from typing import Any, cast

from botocore.exceptions import BotoCoreError, ClientError
from botocore.model import Shape

from ..errors import runtime_error
from .invocation import TaskInvocation
from .sdk_errors import sdk_failure
from .serialize import strip_metadata, to_jsonable
from .service_names import boto3_service_name, error_prefix, modeled_errors, service_model


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def _to_model_case(value: Any, shape: Shape | None) -> Any:
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        members = {name.lower(): name for name in shape.members}
        out = {}
        for key, item in value.items():
            real = members.get(key.lower(), key)
            out[real] = _to_model_case(item, shape.members.get(real))
        return out
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_model_case(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_model_case(item, shape.value) for key, item in value.items()}
    return value


def _to_pascal_case(value: Any, shape: Shape | None) -> Any:
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {_pascal(key): _to_pascal_case(item, shape.members.get(key)) for key, item in value.items()}
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_pascal_case(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_pascal_case(item, shape.value) for key, item in value.items()}
    return value


def operation_for(service: str, action: str) -> tuple[str, str]:
    """(boto3 service name, operation name) for an aws-sdk resource; raises ValueError."""
    boto3_name = boto3_service_name(service)
    if boto3_name is None:
        raise ValueError(f"The service '{service}' is not supported by the aws-sdk integration")
    model = service_model(boto3_name)
    wanted = action.lower()
    for operation in model.operation_names:
        if operation.lower() == wanted:
            return boto3_name, operation
    raise ValueError(f"The action '{action}' is not supported by the '{service}' service")


def invoke(invocation: TaskInvocation) -> Any:
    resource = invocation.resource
    try:
        boto3_name, operation = operation_for(resource.sdk_service, resource.api)
    except ValueError as exc:
        raise runtime_error(str(exc)) from None
    model = service_model(boto3_name)
    op_model = model.operation_model(operation)
    # Without Parameters the call gets no arguments (the state input is not sent).
    params = invocation.parameters if "Parameters" in invocation.state_spec else {}
    if not isinstance(params, dict):
        raise runtime_error(f"Parameters of {resource.arn} must be a JSON object")
    kwargs = _to_model_case(params, op_model.input_shape)
    client = invocation.client(boto3_name)
    method = getattr(client, _method_name(operation))
    prefix = error_prefix(boto3_name)
    try:
        response = invocation.call(lambda: method(**kwargs))
    except (ClientError, BotoCoreError) as exc:
        raise sdk_failure(exc, prefix, model.metadata.get("serviceId", boto3_name),
                          modeled_errors(boto3_name)) from None
    result = _to_pascal_case(strip_metadata(response), op_model.output_shape)
    return to_jsonable(result)


def _method_name(operation: str) -> str:
    from botocore import xform_name

    return cast("str", xform_name(operation))
