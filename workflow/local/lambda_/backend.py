"""The local Lambda service: functions from zip archives, run by ``invoker.py``."""
from __future__ import annotations

import base64
import re
import shutil
import uuid
from datetime import datetime, timezone
from typing import Any

from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.errors import ClientError, ValidationException
from workflow.local.lambda_.code import (
    InvalidParameterValueException,
    code_sha256,
    extract_zip,
)
from workflow.local.lambda_.invoker import LOG_TAIL_BYTES, Invoker

KIND = "lambda.function"
_NAME = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:|\d{12}:function:)?"
    r"([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$"
)
_CONFIG_KEYS = ("Description", "Timeout", "MemorySize", "Environment", "Handler", "Runtime",
                "Role")


class ResourceNotFoundException(ClientError):
    pass


class ResourceConflictException(ClientError):
    pass


def _now() -> str:
    # Lambda reports LastModified as a string in this exact shape.
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


class LambdaBackend(Backend):
    service = "lambda"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.invoker = Invoker(ctx)
        self.code_root = ctx.data_dir / "lambda" / "functions"

    def start(self) -> None:
        # The zygote's imports take a third of a second: begun with the server, they are
        # over by the time a deployment creates its functions.
        self.invoker.start_zygote()

    def shutdown(self) -> None:
        self.invoker.shutdown()

    # -- helpers ----------------------------------------------------------
    def _name(self, value: str) -> str:
        found = _NAME.match(value)
        if found is None:
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at 'functionName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
                "(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
            )
        if found.group(2) not in (None, "$LATEST"):
            raise ResourceNotFoundException(
                f"Function not found: {self._arn(found.group(1))}:{found.group(2)} "
                "(the local Lambda service keeps only $LATEST)"
            )
        return found.group(1)

    def _arn(self, name: str) -> str:
        return self.ctx.arn("lambda", f"function:{name}")

    def _get(self, value: str) -> dict[str, Any]:
        name = self._name(value)
        function = self.ctx.store.get(KIND, name)
        if function is None:
            raise ResourceNotFoundException(f"Function not found: {self._arn(name)}",
                                            fields={"Type": "User"})
        return function

    def _store_code(self, name: str, code: dict[str, Any]) -> dict[str, Any]:
        data = code.get("ZipFile")
        if not data:
            raise InvalidParameterValueException(
                "The local Lambda service needs the code as Code.ZipFile (a zip archive; "
                "workflow.local.lambda_.zip_directory builds one from a folder)"
            )
        digest = code_sha256(data)
        folder = self.code_root / name / base64.urlsafe_b64encode(
            base64.b64decode(digest)).decode().rstrip("=")
        if not folder.is_dir():  # content-addressed: the same archive is extracted once
            extract_zip(data, folder)
        return {"CodeSha256": digest, "CodeSize": len(data), "_CodeDir": str(folder)}

    @staticmethod
    def _check_limits(params: dict[str, Any]) -> None:
        # Lambda's limits; botocore's model leaves their maximums out.
        for key, wire, low, high in (("Timeout", "timeout", 1, 900),
                                     ("MemorySize", "memorySize", 128, 10240)):
            value = params.get(key)
            if value is not None and not low <= value <= high:
                raise ValidationException(
                    f"1 validation error detected: Value '{value}' at '{wire}' failed to "
                    f"satisfy constraint: Member must have value between {low} and {high}")

    @staticmethod
    def _check_runtime(params: dict[str, Any]) -> None:
        if params.get("PackageType", "Zip") != "Zip":
            raise InvalidParameterValueException(
                "The local Lambda service runs Zip packages only")
        runtime = params.get("Runtime")
        if runtime is not None and not runtime.startswith("python3"):
            raise InvalidParameterValueException(
                f"The runtime parameter of {runtime} is not supported by the local Lambda "
                "service; use a python3.x runtime")

    # -- functions --------------------------------------------------------
    def create_function(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._name(params["FunctionName"])
        self._check_runtime(params)
        self._check_limits(params)
        if not params.get("Runtime") or not params.get("Handler"):
            raise InvalidParameterValueException("Runtime and Handler are required for Zip packages")
        if self.ctx.store.get(KIND, name) is not None:
            raise ResourceConflictException(f"Function already exist: {name}",
                                            fields={"Type": "User"})
        function = {
            "FunctionName": name, "FunctionArn": self._arn(name),
            "Runtime": params["Runtime"], "Role": params["Role"], "Handler": params["Handler"],
            "Description": params.get("Description", ""),
            "Timeout": params.get("Timeout", 3), "MemorySize": params.get("MemorySize", 128),
            "Environment": {"Variables": (params.get("Environment") or {}).get("Variables", {})},
            "LastModified": _now(), "Version": "$LATEST", "State": "Active",
            "LastUpdateStatus": "Successful", "PackageType": "Zip",
            "Architectures": params.get("Architectures") or ["x86_64"],
            "TracingConfig": {"Mode": (params.get("TracingConfig") or {}).get("Mode", "PassThrough")},
            "EphemeralStorage": {"Size": 512}, "RevisionId": str(uuid.uuid4()),
        }
        function.update(self._store_code(name, params["Code"]))
        if not self.ctx.store.insert(KIND, name, function):
            raise ResourceConflictException(f"Function already exist: {name}",
                                            fields={"Type": "User"})
        self.invoker.prewarm(function)
        return function

    def get_function(self, params: dict[str, Any]) -> dict[str, Any]:
        function = self._get(params["FunctionName"])
        answer: dict[str, Any] = {
            "Configuration": function,
            "Code": {"RepositoryType": "Local", "Location": f"file://{function['_CodeDir']}"},
        }
        if function.get("_ReservedConcurrentExecutions") is not None:
            answer["Concurrency"] = {
                "ReservedConcurrentExecutions": function["_ReservedConcurrentExecutions"]}
        return answer

    def get_function_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._get(params["FunctionName"])

    def list_functions(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Functions": self.ctx.store.list(KIND)}

    def delete_function(self, params: dict[str, Any]) -> dict[str, Any]:
        function = self._get(params["FunctionName"])
        name = function["FunctionName"]
        self.ctx.store.delete(KIND, name)
        self.invoker.pool.retire(name)
        shutil.rmtree(self.code_root / name, ignore_errors=True)
        return {}

    def _change(self, name: str, change: dict[str, Any]) -> dict[str, Any]:
        def apply(doc: dict[str, Any]) -> None:
            doc.update(change)
            doc["LastModified"] = _now()
            doc["RevisionId"] = str(uuid.uuid4())

        function = self.ctx.store.update(KIND, name, apply)
        if function is None:
            raise ResourceNotFoundException(f"Function not found: {self._arn(name)}")
        self.invoker.pool.retire(name)
        self.invoker.prewarm(function)
        return function

    def update_function_code(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._get(params["FunctionName"])["FunctionName"]
        return self._change(name, self._store_code(name, {"ZipFile": params.get("ZipFile")}))

    def update_function_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._get(params["FunctionName"])["FunctionName"]
        self._check_runtime(params)
        self._check_limits(params)
        change = {key: params[key] for key in _CONFIG_KEYS if key in params}
        if "Environment" in change:
            change["Environment"] = {"Variables": change["Environment"].get("Variables", {})}
        return self._change(name, change)

    # -- concurrency ------------------------------------------------------
    def put_function_concurrency(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._get(params["FunctionName"])["FunctionName"]
        reserved = params["ReservedConcurrentExecutions"]
        self.ctx.store.update(KIND, name, lambda d: d.update(_ReservedConcurrentExecutions=reserved))
        return {"ReservedConcurrentExecutions": reserved}

    def delete_function_concurrency(self, params: dict[str, Any]) -> dict[str, Any]:
        name = self._get(params["FunctionName"])["FunctionName"]

        def clear(doc: dict[str, Any]) -> None:
            doc.pop("_ReservedConcurrentExecutions", None)

        self.ctx.store.update(KIND, name, clear)
        return {}

    def get_function_concurrency(self, params: dict[str, Any]) -> dict[str, Any]:
        function = self._get(params["FunctionName"])
        return {"ReservedConcurrentExecutions": function.get("_ReservedConcurrentExecutions")}

    # -- invoke -----------------------------------------------------------
    def invoke(self, params: dict[str, Any]) -> dict[str, Any]:
        function = self._get(params["FunctionName"])
        if params.get("Qualifier") not in (None, "$LATEST"):
            raise ResourceNotFoundException(
                f"Function not found: {function['FunctionArn']}:{params['Qualifier']}")
        kind = params.get("InvocationType") or "RequestResponse"
        payload = params.get("Payload") or b""
        self.invoker.check_payload(payload, kind == "Event")
        if kind == "DryRun":
            return {"StatusCode": 204}
        if kind == "Event":
            self.invoker.invoke_async(function, payload)
            return {"StatusCode": 202}
        outcome = self.invoker.invoke(function, payload, params.get("ClientContext"))
        answer: dict[str, Any] = {
            "StatusCode": 200, "Payload": outcome.payload, "ExecutedVersion": "$LATEST",
            "FunctionError": outcome.function_error,
        }
        if params.get("LogType") == "Tail":
            answer["LogResult"] = base64.b64encode(outcome.log[-LOG_TAIL_BYTES:]).decode()
        return answer
