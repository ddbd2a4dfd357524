"""As whom one local service calls another: the principal whose permissions the call needs.

On AWS a training job reads its channels as the job's execution role and an endpoint
downloads its model as the model's; locally each such call names that role too. (A request
from outside has its own caller, ``access.caller``: the administrator or a role session.)
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    #: An IAM principal ARN (a role, or a service principal such as ``sagemaker.amazonaws.com``).
    arn: str
    #: The service that assumes the role to make the call (``sagemaker.amazonaws.com``);
    #: None when ``arn`` is itself a service principal, which acts as the account.
    assumed_by: str | None = None
