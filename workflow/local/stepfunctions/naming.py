"""Names, ARNs and pagination tokens as Step Functions checks them."""
from __future__ import annotations

import base64
import json
import re
from typing import Any

from workflow.local.stepfunctions.errors import InvalidArn, InvalidName, InvalidToken

# AWS: 1-80 characters; no whitespace, brackets, wildcards, the listed
# punctuation, or control characters.
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
_ARN = re.compile(r"^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):([A-Za-z]+):(.+)$")


def check_name(name: str, what: str = "name") -> str:
    if not 1 <= len(name) <= 80 or _BAD_NAME.search(name):
        raise InvalidName(f"Invalid Name: '{name}' ({what} must be 1-80 characters without "
                          "whitespace, brackets, wildcards, control characters or "
                          "any of \" # % \\ ^ | ~ ` $ & , ; : /)")
    return name


def check_role(role_arn: str) -> str:
    if not _ROLE.match(role_arn):
        raise InvalidArn(f"Invalid Role Arn: '{role_arn}'")
    return role_arn


def parse_arn(arn: str, resource: str) -> list[str]:
    """The resource path of a states ARN of type ``resource`` (split on ':')."""
    found = _ARN.match(arn)
    if found is None:
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    if found.group(3) != resource:
        raise InvalidArn(f"Invalid Arn: 'Resource type not valid in this context: {found.group(3)}'")
    return found.group(4).split(":")


def encode_token(position: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_token(token: str | None) -> Any:
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        raise InvalidToken(f"Invalid Token: '{token}'") from None


def page_size(max_results: int | None, default: int = 100) -> int:
    return max_results or default
