"""query (IAM, STS): ``Action`` and ``Version`` plus members as form fields, answers in XML.

The inverse of botocore's ``QuerySerializer`` and ``QueryParser``: a structure's members are
``Parent.Member``, a list's items ``Name.member.N`` (``Name.N`` when flattened), a map's
entries ``Name.entry.N.key``/``.value``; the answer is
``<OpResponse><OpResult>...</OpResult><ResponseMetadata><RequestId>`` in the service's XML
namespace, and an error ``<ErrorResponse><Error><Type><Code><Message>`` with the status the
model gives the error code.
"""
from __future__ import annotations

import base64
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

from botocore.model import OperationModel, ServiceModel, Shape

from workflow.local.errors import ClientError, ServiceError
from workflow.local.protocol.http import Request, Response
from workflow.local.protocol.validation import pattern_errors, validation_errors
from workflow.local.protocol.values import format_timestamp, parse_text_value

FORM = "application/x-www-form-urlencoded"
_MISSING = object()


class InvalidAction(ClientError):
    pass


def has_form_body(request: Request) -> bool:
    """A POST of form fields (what a query-protocol call sends)."""
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    return request.method == "POST" and content_type == FORM


def form(request: Request) -> dict[str, str] | None:
    """The request's fields (query string and form body) when it is a query-protocol call."""
    fields = dict(parse_qsl(urlsplit(request.target).query, keep_blank_values=True))
    if has_form_body(request):
        try:
            fields.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return None
    return fields if "Action" in fields and "Version" in fields else None


def operation_for(service: ServiceModel, fields: dict[str, str]) -> OperationModel:
    action = fields["Action"]
    if action not in service.operation_names:
        raise InvalidAction(f"Could not find operation {action} for version {fields['Version']}")
    return service.operation_model(action)


def parse_request(operation: OperationModel, fields: dict[str, str]) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    params = _parse(shape, fields, "")
    return params if isinstance(params, dict) else {}


def _has(fields: dict[str, str], prefix: str) -> bool:
    dotted = prefix + "."
    return prefix in fields or any(k.startswith(dotted) for k in fields)


def _parse(shape: Shape, fields: dict[str, str], prefix: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            wire = member.serialization.get("name", name)
            value = _parse(member, fields, f"{prefix}.{wire}" if prefix else wire)
            if value is not _MISSING:
                out[name] = value
        return out if out or not prefix or _has(fields, prefix) else _MISSING
    if kind in ("list", "map"):
        if fields.get(prefix) == "":
            return [] if kind == "list" else {}
        flattened = shape.serialization.get("flattened")
        return (_parse_list if kind == "list" else _parse_map)(shape, fields, prefix, flattened)
    return parse_text_value(shape, fields[prefix]) if prefix in fields else _MISSING


def _parse_list(shape: Shape, fields: dict[str, str], prefix: str, flattened: bool) -> Any:
    base = prefix if flattened else f"{prefix}.{shape.member.serialization.get('name', 'member')}"
    items = []
    for index in range(1, len(fields) + 1):
        key = f"{base}.{index}"
        if not _has(fields, key):
            break
        items.append(_parse(shape.member, fields, key))
    return items if items else _MISSING


def _parse_map(shape: Shape, fields: dict[str, str], prefix: str, flattened: bool) -> Any:
    base = prefix if flattened else f"{prefix}.entry"
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")
    out = {}
    for index in range(1, len(fields) + 1):
        entry = f"{base}.{index}"
        if not _has(fields, entry):
            break
        key = _parse(shape.key, fields, f"{entry}.{key_name}")
        if key is not _MISSING:
            out[key] = _parse(shape.value, fields, f"{entry}.{value_name}")
    return out if out else _MISSING


def validate(params: dict[str, Any], shape: Shape | None) -> None:
    """Query APIs answer ``ValidationError`` (not ValidationException), naming each member."""
    problems = validation_errors(params, shape) or pattern_errors(params, shape)
    if problems:
        count = len(problems)
        raise ClientError(f"{count} validation error{'s' if count > 1 else ''} detected: "
                          + "; ".join(problems), code="ValidationError")


# -- answers ---------------------------------------------------------------------------
def _xml(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        parts: list[str] = []
        for name, member in shape.members.items():
            if value.get(name) is None:
                continue
            child = value[name]
            if member.type_name == "list" and member.serialization.get("flattened"):
                tag = member.member.serialization.get("name", member.serialization.get("name", name))
                parts.extend(f"<{tag}>{_xml(member.member, item)}</{tag}>" for item in child)
                continue
            tag = member.serialization.get("name", name)
            parts.append(f"<{tag}>{_xml(member, child)}</{tag}>")
        return "".join(parts)
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        return "".join(f"<{tag}>{_xml(shape.member, item)}</{tag}>" for item in value)
    if kind == "map":
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        return "".join(f"<entry><{key_tag}>{_xml(shape.key, k)}</{key_tag}>"
                       f"<{value_tag}>{_xml(shape.value, v)}</{value_tag}></entry>" for k, v in value.items())
    if kind == "timestamp":
        return escape(str(format_timestamp(value, "iso8601")))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        data = value.encode() if isinstance(value, str) else bytes(value)
        return base64.b64encode(data).decode("ascii")
    return escape(str(value))


def _namespace(service: ServiceModel) -> str:
    return cast("str", service.metadata.get("xmlNamespace", ""))


def serialize_response(operation: OperationModel, result: dict[str, Any] | None, request_id: str) -> Response:
    shape = operation.output_shape
    body = ""
    if shape is not None:
        wrapper = shape.serialization.get("resultWrapper", f"{operation.name}Result")
        body = f"<{wrapper}>{_xml(shape, result or {})}</{wrapper}>"
    text = (f'<{operation.name}Response xmlns="{_namespace(operation.service_model)}">{body}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            f"</{operation.name}Response>")
    return Response(200, {"Content-Type": "text/xml"}, text.encode())


def error_status(service: ServiceModel, error: ServiceError) -> int:
    """The status the model gives the error's wire code (``NoSuchEntity`` is 404), else its own."""
    for shape in service.error_shapes:
        details = shape.metadata.get("error", {})
        if details.get("code", shape.name) == error.code and details.get("httpStatusCode"):
            return int(details["httpStatusCode"])
    return error.status


def serialize_error(service: ServiceModel, error: ServiceError, request_id: str) -> Response:
    status = error_status(service, error)
    kind = "Sender" if status < 500 else "Receiver"
    text = (f'<ErrorResponse xmlns="{_namespace(service)}"><Error><Type>{kind}</Type>'
            f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>")
    return Response(status, {"Content-Type": "text/xml"}, text.encode())
