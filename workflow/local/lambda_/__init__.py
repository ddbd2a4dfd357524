"""The local Lambda service: Python handlers in execution environments (processes) with the
Lambda event/context contract."""
from workflow.local.lambda_.backend import LambdaBackend
from workflow.local.lambda_.code import zip_directory

__all__ = ["LambdaBackend", "zip_directory"]
