"""HTTP request -> (service, operation, validated params) -> backend -> HTTP response."""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Protocol

from botocore.model import OperationModel

from workflow.local import calls
from workflow.local.backend import Backend
from workflow.local.calls import Call
from workflow.local.errors import ServiceError, UnknownOperationException
from workflow.local.protocol import json_protocol, query_compatible, rest_json, rest_xml, rpcv2_cbor
from workflow.local.protocol import query as query_protocol
from workflow.local.protocol.errors import error_status, serialize_error
from workflow.local.protocol.http import Request, Response
from workflow.local.protocol.models import service_model
from workflow.local.protocol.validation import validate
from workflow.local.s3.errors import MethodNotAllowed

log = logging.getLogger(__name__)

#: The most a non-streaming request body may be (Lambda's payload limit is 6 MB).
BODY_LIMIT = 64 << 20


class Gate(Protocol):
    """Who makes a request, and whether they may (see ``workflow.local.access.gate``)."""

    def authenticate(self, request: Request, service: str) -> Any:
        """The request's caller; raises the protocol's ServiceError when its signature is refused."""
        ...

    def admit(self, caller: Any, service: str, operation: OperationModel,
              params: dict[str, Any]) -> AbstractContextManager[None]:
        """Raises AccessDenied, or gives the context the backend serves the request in."""
        ...


class _Open:
    def authenticate(self, request: Request, service: str) -> Any:
        return None

    def admit(self, caller: Any, service: str, operation: OperationModel,
              params: dict[str, Any]) -> AbstractContextManager[None]:
        return nullcontext()


class Dispatcher:
    """Routes requests to the backends registered by botocore service name."""

    def __init__(self, backends: Mapping[str, Backend], gate: Gate | None = None) -> None:
        self.backends = dict(backends)
        self.gate: Gate = gate or _Open()
        #: Query-protocol services by API version (IAM 2010-05-08, STS 2011-06-15).
        self._versions: dict[str, str] = {}
        self._targets: dict[str, str] = {}
        self._rpc: dict[str, str] = {}
        self._routes: list[rest_json.Route] = []
        self._xml: rest_xml.Router | None = None
        for name in self.backends:
            model = service_model(name)
            if model.protocol == "smithy-rpc-v2-cbor":
                # boto3 picks RPC v2 CBOR; a browser speaks JSON, which CloudWatch
                # also lists among its protocols, so both are answered.
                self._rpc[model.metadata["targetPrefix"]] = name
                if "json" in model.metadata.get("protocols", []):
                    self._targets[model.metadata["targetPrefix"]] = name
            elif model.protocol == "json":
                self._targets[model.metadata["targetPrefix"]] = name
            elif model.protocol == "rest-xml":
                self._xml = rest_xml.Router(model)
                self._xml_service = name
            elif model.protocol == "rest-json":
                for op in model.operation_names:
                    self._routes.append(rest_json.compile_route(model, model.operation_model(op)))
            elif model.protocol == "query":
                self._versions[model.api_version] = name
            else:
                raise ValueError(f"{name}: protocol {model.protocol} is not served")
        # The most literal template wins ("/functions/{F}/concurrency" over "/functions/{F}").
        self._routes.sort(key=lambda r: (len(r.static_query), r.literal_length), reverse=True)
        #: The same routes by method and by (signing name, method), in that order: a signed
        #: request tries its own service's few templates before every service's (a hundred).
        self._by_method: dict[str, list[rest_json.Route]] = {}
        self._by_signing: dict[tuple[str, str], list[rest_json.Route]] = {}
        for route in self._routes:
            self._by_method.setdefault(route.method, []).append(route)
            signing_name = service_model(route.service).signing_name
            self._by_signing.setdefault((signing_name, route.method), []).append(route)

    def route(self, request: Request, call: Call | None = None) -> tuple[str, OperationModel, dict[str, Any]]:
        signing = (call or Call.from_credential(rest_xml.credential(request))).service
        if self._xml is not None and (rest_xml.is_virtual_host(request.headers.get("Host"))
                                      or signing == service_model(self._xml_service).signing_name
                                      or rest_xml.signature_v2(request)):
            return self._route_xml(request)
        if self._versions and query_protocol.has_form_body(request):
            _load(request)
        fields = query_protocol.form(request) if self._versions else None
        if fields is not None and fields["Version"] in self._versions:
            return self._route_query(self._versions[fields["Version"]], fields)
        rpc = rpcv2_cbor.match(request)
        if rpc is not None:
            return self._route_rpc(request, *rpc)
        target = request.headers.get("X-Amz-Target")
        if target:
            return self._route_target(request, target)
        return self._route_rest_json(request, signing)

    def _route_query(self, service: str, fields: dict[str, str]) -> tuple[str, OperationModel, dict[str, Any]]:
        try:
            operation = query_protocol.operation_for(service_model(service), fields)
            return service, operation, query_protocol.parse_request(operation, fields)
        except ServiceError as exc:
            raise _Routed(service, exc) from None

    def _route_rpc(self, request: Request, rpc_service: str,
                   rpc_operation: str) -> tuple[str, OperationModel, dict[str, Any]]:
        _load(request)
        if rpc_service not in self._rpc:
            raise _Unroutable(f"No local service answers RPC v2 service {rpc_service}")
        service = self._rpc[rpc_service]
        try:
            operation = rpcv2_cbor.operation_for(service_model(service), rpc_operation)
            return service, operation, rpcv2_cbor.parse_request(operation, request)
        except ServiceError as exc:
            raise _Routed(service, exc) from None

    def _route_target(self, request: Request, target: str) -> tuple[str, OperationModel, dict[str, Any]]:
        prefix = target.rpartition(".")[0]
        if prefix not in self._targets:
            raise _Unroutable(f"No local service answers X-Amz-Target {target}")
        service = self._targets[prefix]
        model = service_model(service)
        _load(request)
        try:
            operation = json_protocol.operation_for_target(model, target)
        except ServiceError as exc:
            raise _Routed(service, exc) from None
        try:
            return service, operation, json_protocol.parse_request(operation, request)
        except ServiceError as exc:
            raise _Routed(service, exc) from None

    def _route_rest_json(self, request: Request, signing: str | None) -> tuple[str, OperationModel, dict[str, Any]]:
        path, query = request.parts
        # When templates of several services match, the one the request is signed for wins;
        # else the most literal template of any service.
        found = self._first_match(self._by_signing.get((signing, request.method), []) if signing else [],
                                  request.method, path, query)
        if found is None:
            found = self._first_match(self._by_method.get(request.method, []), request.method, path, query)
        if found is None:
            if self._xml is not None and signing is None:  # an unsigned path-style S3 request
                return self._route_xml(request)
            raise _Unroutable(f"No local operation answers {request.method} {path}")
        route, uri_params = found
        operation = service_model(route.service).operation_model(route.operation)
        _load(request)
        try:
            return route.service, operation, rest_json.parse_request(operation, request, uri_params)
        except ServiceError as exc:
            raise _Routed(route.service, exc) from None

    @staticmethod
    def _first_match(routes: list[rest_json.Route], method: str, path: str, query: dict[str, list[str]]
                     ) -> tuple[rest_json.Route, dict[str, str]] | None:
        for route in routes:
            uri_params = rest_json.match(route, method, path, query)
            if uri_params is not None:
                return route, uri_params
        return None

    def _route_xml(self, request: Request) -> tuple[str, OperationModel, dict[str, Any]]:
        assert self._xml is not None
        service = self._xml_service
        try:
            found = self._xml.match(request)
            if found is None:
                raise MethodNotAllowed(
                    "The specified method is not allowed against this resource.")
            operation, uri_params = found
            return service, operation, rest_xml.parse_request(operation, request, uri_params)
        except ServiceError as exc:
            raise _Routed(service, exc) from None

    def dispatch(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        call = Call.from_credential(rest_xml.credential(request))
        try:
            service, operation, params = self.route(request, call)
        except _Routed as routed:
            return _finish(_error(request, routed.service, routed.error, request_id), request_id)
        except _Unroutable as exc:
            return _finish(_unroutable(request, str(exc)), request_id)
        try:
            caller = self.gate.authenticate(request, service)
            model = service_model(service)
            if query_compatible.applies(model):
                query_compatible.validate(params, operation.input_shape)
            elif model.protocol == "rest-xml":
                rest_xml.validate(params, operation.input_shape)
            elif model.protocol == "query":
                query_protocol.validate(params, operation.input_shape)
            else:
                validate(params, operation.input_shape)
            with self.gate.admit(caller, service, operation, params), calls.serving(call):
                result = self.backends[service].handle(operation.name, params)
            if model.protocol == "rest-xml":
                response = rest_xml.serialize_response(operation, result)
            elif model.protocol == "query":
                response = query_protocol.serialize_response(operation, result, request_id)
            elif rpcv2_cbor.match(request) is not None:
                response = rpcv2_cbor.serialize_response(operation, result)
            elif request.headers.get("X-Amz-Target"):
                response = json_protocol.serialize_response(operation, result)
            else:
                response = rest_json.serialize_response(operation, result)
        except ServiceError as exc:
            return _finish(_error(request, service, exc, request_id), request_id)
        except Exception:  # a bug must reach the client as an AWS error, not a dropped socket
            log.exception("%s.%s failed", service, operation.name)
            error = ServiceError(f"The local {service} service failed on {operation.name}; "
                                 "see the server log")
            return _finish(_error(request, service, error, request_id), request_id)
        return _finish(response, request_id)


class _Unroutable(Exception):
    pass


def _load(request: Request) -> None:
    """Every service but S3 reads its (small) body whole."""
    try:
        request.load_body(BODY_LIMIT)
    except ValueError as exc:
        raise _Unroutable(str(exc)) from None


class _Routed(Exception):
    def __init__(self, service: str, error: ServiceError) -> None:
        super().__init__(error.message)
        self.service = service
        self.error = error


def _error(request: Request, service: str, error: ServiceError, request_id: str) -> Response:
    """The error in the protocol the request came in (CloudWatch answers two)."""
    if service_model(service).protocol == "rest-xml":
        return rest_xml.serialize_error(error, error_status(service, error), request_id)
    if service_model(service).protocol == "query":
        return query_protocol.serialize_error(service_model(service), error, request_id)
    if rpcv2_cbor.match(request) is not None:
        return rpcv2_cbor.serialize_error(error, error_status(service, error))
    return serialize_error(service, error)


def _unroutable(request: Request, message: str) -> Response:
    """No service to take the error's format from: answer in the plain JSON both JSON
    protocols read (404 for an unknown path, as a REST API does)."""
    code = UnknownOperationException.code
    body = json.dumps({"__type": code, "message": message}).encode()
    if request.headers.get("X-Amz-Target"):
        return Response(400, {"Content-Type": "application/x-amz-json-1.1",
                              "x-amzn-ErrorType": code}, body)
    return Response(404, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, body)


def _finish(response: Response, request_id: str) -> Response:
    response.headers["x-amzn-RequestId"] = request_id
    response.headers.update(rest_xml.response_headers(request_id))
    if "Content-Length" not in response.headers:
        length = response.stream.length if response.stream is not None else len(response.body)
        response.headers["Content-Length"] = str(length)
    return response
