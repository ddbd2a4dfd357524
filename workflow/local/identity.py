"""Who makes a call between local services: the principal whose permissions it needs.

On AWS a training job reads its channels as the job's execution role and an endpoint
downloads its model as the model's; locally each such call names that role too.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    #: An IAM principal ARN (a role, or a service principal such as ``sagemaker.amazonaws.com``).
    principal: str
