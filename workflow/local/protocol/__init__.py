"""The protocol layer: HTTP in, (service, operation, validated params) to a
backend, the backend's dict (or error) back out in the service's wire format.
Everything is driven by botocore's service models."""
from workflow.local.protocol.dispatcher import Dispatcher
from workflow.local.protocol.http import Headers, Request, Response

__all__ = ["Dispatcher", "Headers", "Request", "Response"]
