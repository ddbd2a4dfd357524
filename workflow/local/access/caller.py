"""Who makes a request: the account's administrator, a session of an assumed role, or an
AWS service calling another service.

The protocol layer identifies the caller of each request (``gate.py``) and serves the
backend with it current (each request runs on its own thread, so a context variable holds
it); a backend reads it with ``current()``. Calls one local service makes to another go
through the other's facade and name their caller explicitly, with one of these types.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Union

from workflow.local.context import ACCOUNT_ID
from workflow.local.request_local import RequestLocal


@dataclass(frozen=True)
class AccountAdmin:
    """Any caller signing with credentials this server did not issue (the user's CLI, boto3,
    the console): the account itself, which IAM never denies."""

    account_id: str = ACCOUNT_ID
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    @property
    def user_id(self) -> str:
        return self.account_id

    @property
    def principal_arn(self) -> str:
        return self.arn


@dataclass(frozen=True)
class AssumedRole:
    """A role session: temporary credentials STS issued for ``role_arn``."""

    account_id: str
    role_name: str
    #: The role's ARN, with its path (``arn:aws:iam::123456789012:role/service/name``).
    role_arn: str
    #: ``AROA...``: the role's unique id.
    role_id: str
    session_name: str
    access_key_id: str
    expiration: datetime
    #: The inline session policy given to AssumeRole, which further limits the session.
    session_policy: str | None = None
    #: Session tags and the role's tags: the session's ``aws:PrincipalTag/*``.
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def arn(self) -> str:
        """``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``: how AWS names the caller in errors."""
        return f"arn:aws:sts::{self.account_id}:assumed-role/{self.role_name}/{self.session_name}"

    @property
    def user_id(self) -> str:
        return f"{self.role_id}:{self.session_name}"

    @property
    def principal_arn(self) -> str:
        """``aws:PrincipalArn`` of a role session is its role's ARN."""
        return self.role_arn


#: The service principals that call other local services.
SAGEMAKER = "sagemaker.amazonaws.com"
APPLICATION_AUTOSCALING = "application-autoscaling.amazonaws.com"
STATES = "states.amazonaws.com"
SCHEDULER = "scheduler.amazonaws.com"
LAMBDA = "lambda.amazonaws.com"
CLOUDWATCH = "monitoring.amazonaws.com"


@dataclass(frozen=True)
class ServicePrincipal:
    """An AWS service calling another service itself (``sagemaker.amazonaws.com``), on its own
    behalf or for the role it acts as (a model's execution role, a schedule's role). A role's
    calls are authorized as the role once the service holds a session of it (an AssumedRole)."""

    service: str
    #: The role the service acts for, when it acts for one.
    role_arn: str | None = None
    account_id: str = ACCOUNT_ID
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def arn(self) -> str:
        return self.role_arn or self.service

    @property
    def user_id(self) -> str:
        return self.service

    @property
    def principal_arn(self) -> str:
        return self.arn


Caller = Union[AccountAdmin, AssumedRole, ServicePrincipal]

ADMIN = AccountAdmin()
#: The caller of the request being served (the administrator outside any request).
_CALLER: RequestLocal[Caller] = RequestLocal("caller", ADMIN)
current = _CALLER.current
serving = _CALLER.serving
