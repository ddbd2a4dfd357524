"""The local Step Functions service, running executions on ``workflow.engine``."""
from workflow.local.stepfunctions.backend import StepFunctionsBackend

__all__ = ["StepFunctionsBackend"]
