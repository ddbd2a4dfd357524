"""The CloudFormation template of one deployment, assembled from the resource modules."""
from __future__ import annotations

import json

from workflow.aws import bucket, iam_sagemaker, lambdas, schedule, state_machine
from workflow.aws.iam import Json
from workflow.aws.settings import StackSettings

DESCRIPTION = ("Dog-breed classifier pipeline: one Step Functions state machine that stages data, tunes, "
               "trains, deploys, autoscales and smoke-tests on SageMaker.")


def parameters() -> Json:
    """The options a deployment may change without re-rendering (deploy passes them)."""
    return {
        "KmsKeyArn": {"Type": "String", "Default": "",
                      "AllowedPattern": r"^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[a-f0-9-]+)?$",
                      "Description": "Customer managed KMS key for logs, Lambda environments and the data "
                                     "bucket; empty for AWS managed encryption"},
        "SubnetIds": {"Type": "CommaDelimitedList", "Default": "",
                      "Description": "Subnets for the Lambda functions; empty for no VPC"},
        "SecurityGroupIds": {"Type": "CommaDelimitedList", "Default": "",
                             "Description": "Security groups for the Lambda functions (with SubnetIds)"},
        "InferenceProvisionedConcurrency": {"Type": "Number", "Default": 1, "MinValue": 1, "MaxValue": 100,
                                            "Description": "Warm environments of the inference function's "
                                                           f"'{lambdas.ALIAS_NAME}' alias"},
    }


def conditions() -> Json:
    return {
        "HasKmsKey": {"Fn::Not": [{"Fn::Equals": [{"Ref": "KmsKeyArn"}, ""]}]},
        "HasVpc": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "SubnetIds"}]}, ""]}]},
    }


def outputs(settings: StackSettings) -> Json:
    out: Json = {
        "StateMachineArn": {"Description": "The pipeline state machine", "Value": {"Ref": "StateMachine"}},
        "ResourcePrefix": {"Description": "Prefix of every SageMaker resource the pipeline creates",
                           "Value": settings.resource_prefix},
        "EndpointName": {"Description": "The serving endpoint the executions create or update",
                         "Value": settings.endpoint_name},
        "InferenceFunctionAlias": {"Description": "Invoke this to classify an image",
                                   "Value": {"Ref": "InvokeEndpointAlias"}},
        "DataPrefix": {"Description": "Staged datasets", "Value": settings.data_prefix},
        "OutputPrefix": {"Description": "Training, tuning, Debugger and profiler output",
                         "Value": settings.output_prefix},
        "IncomingPrefix": {"Description": "Upload dataset zips here", "Value": settings.incoming_prefix},
        "StateMachineLogGroup": {"Description": "Execution logs", "Value": {"Ref": state_machine.LOG_GROUP}},
    }
    if settings.schedule_expression:
        out["Schedule"] = {"Description": "Retraining schedule", "Value": {"Ref": "RetrainingSchedule"}}
    return out


def build(settings: StackSettings) -> Json:
    resources: Json = {"SageMakerExecutionRole": iam_sagemaker.resource(settings)}
    for part in (lambdas, state_machine, schedule, bucket):
        resources.update(part.resources(settings))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": DESCRIPTION,
        "Parameters": parameters(),
        "Conditions": conditions(),
        "Resources": resources,
        "Outputs": outputs(settings),
    }


def parameter_values(settings: StackSettings) -> dict[str, str]:
    return {
        "KmsKeyArn": settings.kms_key_arn,
        "SubnetIds": ",".join(settings.subnet_ids),
        "SecurityGroupIds": ",".join(settings.security_group_ids),
        "InferenceProvisionedConcurrency": str(settings.provisioned_concurrency),
    }


def to_text(template: Json) -> str:
    """Stable JSON text: the same settings give the same bytes, so a re-deploy changes nothing."""
    return json.dumps(template, indent=1, sort_keys=False) + "\n"
