"""The Lambda functions: one role, one log group and reserved concurrency each; an alias with
provisioned concurrency in front of the user-facing inference function."""
from __future__ import annotations

import hashlib

from workflow.aws import logs
from workflow.aws.iam import (
    MLFLOW_PROMOTION_ACTIONS,
    Json,
    any_resource,
    kms_statement,
    log_writer_statement,
    mlflow_statement,
    role,
    statement,
    sub,
    xray_statement,
)
from workflow.aws.settings import LAMBDA_RUNTIME, StackSettings
from workflow.definition import TRACKING_OFF

#: Logical id prefix, memory (MB), timeout (s) and /tmp size (MB) of each function.
#: stage_data holds the whole dataset zip in /tmp (dogImages is about 1.1 GB).
FUNCTIONS = {
    "stage_data": ("StageData", 2048, 900, 4096),
    "smoke_test": ("SmokeTest", 512, 300, 512),
    "invoke_endpoint": ("InvokeEndpoint", 512, 30, 512),
    "promote_model": ("PromoteModel", 512, 60, 512),
}
ALIAS_NAME = "live"
NO_DLQ = ("CKV_AWS_116", "invoked synchronously (by the state machine, or by the caller of the "
          "inference function), so a failure is returned to the caller; a dead-letter queue only "
          "applies to asynchronous invocations")
NO_VPC = ("CKV_AWS_117", "VPC attachment is the SubnetIds/SecurityGroupIds parameter: the functions "
          "only reach S3 and SageMaker APIs, so a VPC is the account owner's choice")
ENV_NOT_SECRET = ("CKV_AWS_173", "the environment holds only non-secret settings (service name, metrics "
                  "namespace, endpoint name); it is encrypted at rest with the KmsKeyArn parameter when given")


def logical_id(name: str) -> str:
    return FUNCTIONS[name][0]


def _skip(*checks: tuple[str, str]) -> Json:
    return {"checkov": {"skip": [{"id": cid, "comment": why} for cid, why in checks]}}


def _s3_object(bucket: str, path: str) -> Json:
    return sub(f"arn:${{AWS::Partition}}:s3:::{bucket}/{path}")


def _list_prefix(settings: StackSettings) -> Json:
    return statement("ListDataPrefix", ["s3:ListBucket"],
                     sub(f"arn:${{AWS::Partition}}:s3:::{settings.data_bucket}"),
                     condition={"StringLike": {"s3:prefix": [f"{settings.resource_prefix}/*"]}})


def own_statements(name: str, settings: StackSettings) -> list[Json]:
    """What each function does beyond writing its logs and traces."""
    prefix, bucket = settings.resource_prefix, settings.data_bucket
    endpoint = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/"
    if name == "stage_data":
        return [statement("ReadIncomingAndData", ["s3:GetObject"],
                          [_s3_object(bucket, f"{prefix}/incoming/*"), _s3_object(bucket, f"{prefix}/data/*")]),
                statement("WriteData", ["s3:PutObject"], _s3_object(bucket, f"{prefix}/data/*")),
                _list_prefix(settings)]
    if name == "promote_model":
        return mlflow_statement(settings.mlflow_tracking_server_arn, MLFLOW_PROMOTION_ACTIONS)
    if name == "smoke_test":
        return [statement("ReadData", ["s3:GetObject"], _s3_object(bucket, f"{prefix}/data/*")),
                _list_prefix(settings),
                statement("InvokeOwnEndpoints", ["sagemaker:InvokeEndpoint"], sub(f"{endpoint}{prefix}*"))]
    return [statement("InvokeServingEndpoint", ["sagemaker:InvokeEndpoint"],
                      sub(f"{endpoint}{settings.endpoint_name}"))]


def kms_actions(statements: list[Json]) -> list[str]:
    """What a function does with the customer key: decrypt its environment and the objects it
    reads; a function that writes to the SSE-KMS data bucket also has S3 make data keys with it
    ("Using server-side encryption with AWS KMS keys (SSE-KMS)", S3 User Guide)."""
    writes = any("s3:PutObject" in stmt["Action"] for stmt in statements)
    return ["kms:Decrypt", "kms:GenerateDataKey"] if writes else ["kms:Decrypt"]


def vpc_statement() -> Json:
    return {"Fn::If": ["HasVpc", any_resource("VpcNetworkInterfaces", [
        "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]), {"Ref": "AWS::NoValue"}]}


def resources(settings: StackSettings) -> dict[str, Json]:
    out: dict[str, Json] = {}
    for name, (lid, memory, timeout, tmp_mb) in FUNCTIONS.items():
        log_group = f"{lid}Logs"
        out[log_group] = logs.log_group(f"/aws/lambda/{settings.resource_prefix}-{name.replace('_', '-')}",
                                        settings)
        own = own_statements(name, settings)
        out[f"{lid}Role"] = role(
            f"The {name} Lambda function of {settings.resource_prefix}.", "lambda.amazonaws.com", name,
            [log_writer_statement(log_group), xray_statement(), *own, kms_statement(kms_actions(own)),
             vpc_statement()])
        environment = {"POWERTOOLS_SERVICE_NAME": name, "POWERTOOLS_METRICS_NAMESPACE": "DogBreedPipeline",
                       "POWERTOOLS_LOG_LEVEL": "INFO"}
        if name == "invoke_endpoint":
            environment["ENDPOINT_NAME"] = settings.endpoint_name
        if name == "promote_model":
            environment["MLFLOW_TRACKING_URI"] = settings.mlflow_tracking_server_arn or TRACKING_OFF
        concurrency = settings.reserved_concurrency[name]
        out[f"{lid}Function"] = {
            "Type": "AWS::Lambda::Function",
            "Metadata": _skip(NO_DLQ, NO_VPC, ENV_NOT_SECRET),
            "Properties": {
                "FunctionName": f"{settings.resource_prefix}-{name.replace('_', '-')}",
                "Description": f"{name} of the dog-breed pipeline {settings.resource_prefix}",
                "Runtime": LAMBDA_RUNTIME, "Architectures": ["x86_64"],
                "Handler": f"{name}.app.handler",
                "Code": {"S3Bucket": settings.artifact_bucket, "S3Key": settings.code.lambdas[name]},
                "Role": {"Fn::GetAtt": [f"{lid}Role", "Arn"]},
                "MemorySize": memory, "Timeout": timeout, "EphemeralStorage": {"Size": tmp_mb},
                "ReservedConcurrentExecutions": concurrency,
                "TracingConfig": {"Mode": "Active"},
                "LoggingConfig": {"LogGroup": {"Ref": log_group}, "LogFormat": "JSON"},
                "Environment": {"Variables": environment},
                "KmsKeyArn": logs.KMS_KEY_IF_GIVEN,
                "VpcConfig": {"Fn::If": ["HasVpc", {"SubnetIds": {"Ref": "SubnetIds"},
                                                    "SecurityGroupIds": {"Ref": "SecurityGroupIds"}},
                                         {"Ref": "AWS::NoValue"}]},
            },
        }
    out.update(_inference_alias(settings))
    return out


def _inference_alias(settings: StackSettings) -> dict[str, Json]:
    # A new logical id per code version makes CloudFormation publish a new version
    # (and move the alias) exactly when the code changes.
    digest = hashlib.sha256(settings.code.lambdas["invoke_endpoint"].encode()).hexdigest()[:10]
    version = f"InvokeEndpointVersion{digest}"
    return {
        version: {"Type": "AWS::Lambda::Version",
                  "Properties": {"FunctionName": {"Ref": "InvokeEndpointFunction"},
                                 "Description": f"code {settings.code.lambdas['invoke_endpoint']}"}},
        "InvokeEndpointAlias": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": {"Ref": "InvokeEndpointFunction"}, "Name": ALIAS_NAME,
                "FunctionVersion": {"Fn::GetAtt": [version, "Version"]},
                "ProvisionedConcurrencyConfig": {
                    "ProvisionedConcurrentExecutions": {"Ref": "InferenceProvisionedConcurrency"}},
            },
        },
    }
