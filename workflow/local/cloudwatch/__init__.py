"""The local CloudWatch service: endpoint metrics (AWS/SageMaker) read through the AWS API."""
from workflow.local.cloudwatch.backend import CloudWatchBackend

__all__ = ["CloudWatchBackend"]
