"""Static checks of Task resources against the service models botocore ships.

Step Functions rejects, at definition time, an aws-sdk resource naming an unknown service
or action, and Parameters fields an integration does not accept ("The field 'X' is not
supported by Step Functions"); the same checks run here from botocore's input shapes.
"""
from __future__ import annotations

from typing import Any

from botocore.model import Shape

from .diagnostics import Collector
from .integrations import Resource
from .integrations import sagemaker as sagemaker_integration
from .integrations.aws_sdk import operation_for
from .integrations.service_names import service_model

LAMBDA_INVOKE_FIELDS = {"FunctionName", "Payload", "InvocationType", "Qualifier", "ClientContext", "LogType"}


def check_resource(out: Collector, resource: Resource, parameters: Any, where: str,
                   field: str = "Parameters") -> None:
    """Report unknown aws-sdk actions and payload fields (Parameters, or Arguments in a
    JSONata state) the integration does not accept."""
    if resource.kind != "service":
        return
    if resource.service == "lambda" and resource.api == "invoke":
        _check_fields(out, parameters, LAMBDA_INVOKE_FIELDS, f"{where}/{field}")
        return
    shape = None
    case_insensitive = False
    if resource.service == "aws-sdk":
        try:
            boto3_name, operation = operation_for(resource.sdk_service, resource.api)
        except ValueError as exc:
            out.error(f"{where}/Resource", f"The resource provided {resource.arn} is not recognized: {exc}",
                      "INVALID_RESOURCE")
            return
        shape = service_model(boto3_name).operation_model(operation).input_shape
        case_insensitive = True
    elif resource.service == "sagemaker":
        if resource.api not in sagemaker_integration.REQUEST_RESPONSE:
            out.error(f"{where}/Resource", f"The resource provided {resource.arn} is not recognized",
                      "INVALID_RESOURCE")
            return
        operation = resource.api[:1].upper() + resource.api[1:]
        shape = service_model("sagemaker").operation_model(operation).input_shape
    if shape is not None and isinstance(parameters, dict):
        _check_shape(out, parameters, shape, f"{where}/{field}", case_insensitive)


def _check_fields(out: Collector, parameters: Any, allowed: set[str], where: str) -> None:
    if not isinstance(parameters, dict):
        return
    for key in parameters:
        name = key[:-2] if key.endswith(".$") else key
        if name not in allowed:
            out.error(where, f"The field \"{name}\" is not supported by Step Functions")


def _check_shape(out: Collector, template: dict[str, Any], shape: Shape, where: str, case_insensitive: bool) -> None:
    if shape.type_name != "structure":
        return
    members = {(name.lower() if case_insensitive else name): name for name in shape.members}
    for key, value in template.items():
        dynamic = key.endswith(".$")
        name = key[:-2] if dynamic else key
        real = members.get(name.lower() if case_insensitive else name)
        if real is None:
            out.error(where, f"The field \"{name}\" is not supported by Step Functions")
            continue
        member = shape.members[real]
        if dynamic:
            continue
        if isinstance(value, dict) and member.type_name == "structure":
            _check_shape(out, value, member, f"{where}/{key}", case_insensitive)
        elif isinstance(value, list) and member.type_name == "list" and member.member.type_name == "structure":
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    _check_shape(out, item, member.member, f"{where}/{key}/{index}", case_insensitive)
