"""Parsing a Task state's Resource ARN into integration, API and pattern."""
from __future__ import annotations

import re
from dataclasses import dataclass

_SERVICE = re.compile(
    r"^arn:aws[\w-]*:states:[\w-]*:\d*:([\w-]+):([^:]+?)(?::([^:]+?))?(\.sync(?::2)?|\.waitForTaskToken)?$")
_LAMBDA = re.compile(r"^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:[\w-]+(:[\w$-]+)?$")
_ACTIVITY = re.compile(r"^arn:aws[\w-]*:states:[\w-]+:\d{12}:activity:.+$")

SYNC = "sync"
CALLBACK = "waitForTaskToken"


class ResourceError(ValueError):
    pass


@dataclass(frozen=True)
class Resource:
    arn: str
    kind: str            # "service" | "lambda-function" | "activity"
    service: str = ""    # "lambda", "sagemaker", "aws-sdk", ...
    api: str = ""        # "invoke", "createTrainingJob", or the SDK action
    sdk_service: str = ""  # for aws-sdk: the service name as Step Functions spells it
    pattern: str = ""    # "", "sync" or "waitForTaskToken"

    @property
    def resource_type(self) -> str:
        """The ``resourceType`` of Task* history events."""
        return f"aws-sdk:{self.sdk_service}" if self.service == "aws-sdk" else self.service

    @property
    def resource_name(self) -> str:
        """The ``resource`` of Task* history events (API plus pattern suffix)."""
        return self.api + (f".{self.pattern}" if self.pattern else "")


def parse_resource(arn: str) -> Resource:
    if not isinstance(arn, str):
        raise ResourceError("Resource must be a string ARN")
    if _LAMBDA.match(arn):
        return Resource(arn, "lambda-function", service="lambda", api="invoke")
    if _ACTIVITY.match(arn):
        return Resource(arn, "activity", service="activity")
    match = _SERVICE.match(arn)
    if not match:
        raise ResourceError(f"Invalid resource ARN: {arn}")
    service, first, second, suffix = match.groups()
    pattern = "" if not suffix else (SYNC if suffix.startswith(".sync") else CALLBACK)
    if service == "aws-sdk":
        if not second:
            raise ResourceError(f"An aws-sdk resource needs a service and an action: {arn}")
        return Resource(arn, "service", service, second, sdk_service=first, pattern=pattern)
    if second:
        raise ResourceError(f"Invalid resource ARN: {arn}")
    return Resource(arn, "service", service, first, pattern=pattern)
