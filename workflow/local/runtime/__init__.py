"""The local SageMaker Runtime service."""
from workflow.local.runtime.backend import ModelError, RuntimeBackend, ValidationError

__all__ = ["ModelError", "RuntimeBackend", "ValidationError"]
