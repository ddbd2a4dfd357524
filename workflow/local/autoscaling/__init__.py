"""The local Application Auto Scaling service (SageMaker endpoint variants)."""
from workflow.local.autoscaling.backend import AutoScalingBackend

__all__ = ["AutoScalingBackend"]
