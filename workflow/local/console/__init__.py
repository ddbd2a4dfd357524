"""The local web console at ``/console``: pages that talk to the server's own AWS APIs.

The browser calls Step Functions, SageMaker and Application Auto Scaling with the
same awsJson requests as any other client. The few server-side routes only
render what those public APIs return (graphs, per-state status) or serve
static files, the input schema and job log files.
"""
from __future__ import annotations

from workflow.local.console.handler import handle

__all__ = ["handle"]
