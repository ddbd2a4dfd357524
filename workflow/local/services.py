"""The services the local server answers: one ``"module:Class"`` backend each.

A backend class names its botocore service in ``service``; the server builds
each one with the shared ``ServerContext``. Add a service by appending here.
"""
from __future__ import annotations

BACKENDS: tuple[str, ...] = (
    "workflow.local.stepfunctions:StepFunctionsBackend",
    "workflow.local.lambda_:LambdaBackend",
    "workflow.local.sagemaker_runtime.backend:SageMakerRuntimeBackend",
    "workflow.local.autoscaling.backend:AutoScalingBackend",
    "workflow.local.sagemaker:SageMakerBackend",
    "workflow.local.cloudwatch:CloudWatchBackend",
    "workflow.local.s3.backend:S3Backend",
    "workflow.local.scheduler:SchedulerBackend",
    "workflow.local.iam:IamBackend",
    "workflow.local.sts:StsBackend",
)
