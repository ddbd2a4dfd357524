"""rest-json: operation chosen by method and ``requestUri``; members in the URI,
query string, headers, a raw payload or a JSON body, as each member's location says.
"""
from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from botocore.model import OperationModel, ServiceModel, Shape

from workflow.local.errors import ClientError
from workflow.local.protocol.http import Request, Response
from workflow.local.protocol.values import (
    dump_json_value,
    dump_text_value,
    parse_json_value,
    parse_text_value,
)


class SerializationException(ClientError):
    pass


@dataclass
class Route:
    service: str
    operation: str
    method: str
    pattern: re.Pattern[str]
    #: regex group -> URI label (the member's wire name).
    labels: dict[str, str]
    #: Query keys the requestUri fixes, e.g. ``?versioning``.
    static_query: dict[str, str | None]
    literal_length: int


def compile_route(service: ServiceModel, operation: OperationModel) -> Route:
    uri = operation.http["requestUri"]
    path, _, query = uri.partition("?")
    labels: dict[str, str] = {}
    regex = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            label = piece[1:-1]
            greedy = label.endswith("+")
            label = label.rstrip("+")
            group = f"g{len(labels)}"
            labels[group] = label
            regex += f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)"
        else:
            regex += re.escape(piece)
            literal += len(piece)
    static_query: dict[str, str | None] = {}
    for pair in filter(None, query.split("&")):
        key, eq, value = pair.partition("=")
        static_query[key] = value if eq else None
    return Route(
        service.service_name, operation.name, operation.http.get("method", "POST"),
        re.compile(regex.rstrip("/") + "/?$"), labels, static_query, literal,
    )


def match(route: Route, method: str, path: str, query: dict[str, list[str]]) -> dict[str, str] | None:
    if method != route.method:
        return None
    found = route.pattern.match(path)
    if found is None:
        return None
    for key, value in route.static_query.items():
        if key not in query or (value is not None and value not in query[key]):
            return None
    return {route.labels[g]: unquote(v) for g, v in found.groupdict().items()}


@dataclass(frozen=True)
class _Located:
    """Where an input shape's members travel, by wire name (lower-case for headers)."""

    uri: dict[str, tuple[str, Shape]]
    query: dict[str, tuple[str, Shape]]
    query_map: tuple[str, ...]
    headers: dict[str, tuple[str, Shape]]
    prefixed: tuple[tuple[str, str], ...]
    body: dict[str, Shape]
    order: tuple[str, ...]


_LOCATED: dict[int, tuple[Shape, _Located]] = {}


def _located(shape: Shape) -> _Located:
    """Computed once per shape: a request is then read header by header, not member by
    member (S3's PutObject has some sixty header members, a request a dozen headers)."""
    cached = _LOCATED.get(id(shape))
    if cached is not None and cached[0] is shape:
        return cached[1]
    uri: dict[str, tuple[str, Shape]] = {}
    query: dict[str, tuple[str, Shape]] = {}
    headers: dict[str, tuple[str, Shape]] = {}
    query_map: list[str] = []
    prefixed: list[tuple[str, str]] = []
    body: dict[str, Shape] = {}
    payload = shape.serialization.get("payload")
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            uri[wire] = (name, member)
        elif location == "querystring":
            if member.type_name == "map":
                query_map.append(name)
            else:
                query[wire] = (name, member)
        elif location == "header":
            headers[wire.lower()] = (name, member)
        elif location == "headers":
            prefixed.append((wire.lower(), name))
        elif name != payload:
            body[name] = member
    located = _Located(uri, query, tuple(query_map), headers, tuple(prefixed), body, tuple(shape.members))
    _LOCATED[id(shape)] = (shape, located)
    return located


def _header_value(shape: Shape, text: str) -> Any:
    if shape.serialization.get("jsonvalue"):
        try:
            return json.loads(base64.b64decode(text))
        except ValueError:
            return text
    return parse_text_value(shape, text)


def parse_located(
    shape: Shape, request: Request, uri_params: dict[str, str]
) -> tuple[dict[str, Any], dict[str, Shape]]:
    """The members the URI, query string and headers carry, and the members left to the body
    (the payload member excluded): the same in rest-json and rest-xml."""
    _, query = request.parts
    located = _located(shape)
    found: dict[str, Any] = {}
    for wire, value in uri_params.items():
        if wire in located.uri:
            name, member = located.uri[wire]
            found[name] = parse_text_value(member, value)
    for name in located.query_map:
        found[name] = {k: v[-1] for k, v in query.items()}
    for wire, values in query.items():
        if wire in located.query:
            name, member = located.query[wire]
            found[name] = ([parse_text_value(member.member, v) for v in values]
                           if member.type_name == "list" else parse_text_value(member, values[-1]))
    for key, value in request.headers.items():
        lower = key.lower()
        if lower in located.headers:
            name, member = located.headers[lower]
            found[name] = _header_value(member, value)
        for prefix, name in located.prefixed:
            if lower.startswith(prefix):
                found.setdefault(name, {})[lower[len(prefix):]] = value
    # In the shape's order, as a member-by-member read gave them.
    params = {name: found[name] for name in located.order if name in found}
    return params, dict(located.body)


def parse_request(
    operation: OperationModel, request: Request, uri_params: dict[str, str]
) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    params, body_members = parse_located(shape, request, uri_params)
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if member.type_name in ("blob", "string"):
            if request.body or member.type_name == "blob":
                params[payload] = (
                    request.body if member.type_name == "blob" else request.body.decode("utf-8")
                )
        elif request.body.strip():
            params[payload] = parse_json_value(member, _json_body(request.body))
    elif body_members and request.body.strip():
        body = _json_body(request.body)
        wire_names = {m.serialization.get("name", n): n for n, m in body_members.items()}
        for key, value in body.items():
            name = wire_names.get(key)
            if name is not None:
                params[name] = parse_json_value(body_members[name], value)
    return params


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SerializationException(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise SerializationException("The request body must be a JSON object")
    return body


def located_headers(
    shape: Shape, result: dict[str, Any], status: int
) -> tuple[dict[str, str], int, dict[str, Any]]:
    """Headers and status code from the members placed there; the rest of ``result``
    (payload and body members) is returned for the protocol's body format."""
    headers: dict[str, str] = {}
    rest: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = result.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            if member.serialization.get("jsonvalue"):
                headers[wire] = base64.b64encode(json.dumps(value).encode()).decode()
            else:
                headers[wire] = dump_text_value(member, value)
        elif location == "headers":
            for key, item in value.items():
                headers[wire + key] = str(item)
        else:
            rest[name] = value
    return headers, status, rest


def serialize_members(
    shape: Shape | None, result: dict[str, Any], status: int
) -> Response:
    """Headers, status code and body of a structure whose members have locations."""
    if shape is None:
        return Response(status, {}, b"")
    headers, status, rest = located_headers(shape, result, status)
    body: bytes | None = None
    payload = shape.serialization.get("payload")
    json_members: dict[str, Any] = {}
    for name, value in rest.items():
        member = shape.members[name]
        if name == payload:
            if member.type_name == "blob":
                body = value.encode() if isinstance(value, str) else bytes(value)
            elif member.type_name == "string":
                body = str(value).encode()
            else:
                body = json.dumps(dump_json_value(member, value)).encode()
                headers.setdefault("Content-Type", "application/json")
        else:
            json_members[member.serialization.get("name", name)] = dump_json_value(member, value)
    if body is None:
        if json_members or (payload is None and status != 204):
            body = json.dumps(json_members, separators=(",", ":")).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            body = b""
    return Response(status, headers, body)


def serialize_response(operation: OperationModel, result: dict[str, Any] | None) -> Response:
    status = int(operation.http.get("responseCode", 200))
    return serialize_members(operation.output_shape, result or {}, status)
