"""The local SageMaker Runtime service."""
from workflow.local.sagemaker_runtime.backend import ModelError, SageMakerRuntimeBackend, ValidationError

__all__ = ["ModelError", "SageMakerRuntimeBackend", "ValidationError"]
