"""IAM building blocks: statements, roles, and the statements allowed to use ``Resource: "*"``.

Every role of the stack is built from these helpers, so one test can walk every
statement and hold it to the rules: no wildcard actions, and no unscoped
resource except in the statements listed in ``RESOURCE_STAR_ALLOWED`` (each
entry says why AWS gives no narrower resource).
"""
from __future__ import annotations

from typing import Any

Json = dict[str, Any]

#: Sid -> why AWS requires ``Resource: "*"`` for the actions of that statement.
RESOURCE_STAR_ALLOWED: dict[str, str] = {
    "ListEndpoints": "sagemaker:ListEndpoints is a list action with no resource type; the state machine "
                     "uses it to decide between CreateEndpoint and UpdateEndpoint",
    "ApplicationAutoScaling": "scalable targets are identified by an ARN holding an id AWS generates at "
                              "registration, so registering one cannot be scoped beforehand",
    "LogDelivery": "CloudWatch Logs log-delivery actions (CreateLogDelivery, PutResourcePolicy, ...) "
                   "support no resource-level permissions; Step Functions needs them for execution logging",
    "XRayTracing": "X-Ray PutTraceSegments, PutTelemetryRecords and the sampling actions support no "
                   "resource-level permissions",
    "EcrAuthorization": "ecr:GetAuthorizationToken returns a registry-wide token and supports no resource",
    "SageMakerMetrics": "cloudwatch:PutMetricData supports no resource; the statement is limited to "
                        "SageMaker's namespaces by the cloudwatch:namespace condition",
    "VpcNetworkInterfaces": "Lambda in a VPC needs ec2:Describe/Create/DeleteNetworkInterface, which "
                            "support no resource-level permissions for Describe and are only added "
                            "when subnets are given",
}


#: Resource patterns whose wildcard is not narrowed by the resource prefix, and why.
UNPREFIXED_PATTERNS: dict[str, str] = {
    "/aws/sagemaker/TrainingJobs:*": "SageMaker writes every training job's logs to this fixed group; "
        "':*' is how IAM names a log group for CreateLogGroup and DescribeLogStreams",
    "/aws/sagemaker/ProcessingJobs:*": "the fixed group of the Debugger rule-evaluation jobs' logs; "
        "':*' is how IAM names a log group for CreateLogGroup and DescribeLogStreams",
    "/aws/sagemaker/ProcessingJobs:log-stream:*": "SageMaker Debugger names its rule-evaluation "
        "processing jobs (and so their log streams) itself; the log group is fixed",
}


def sub(text: str) -> Json:
    return {"Fn::Sub": text}


def statement(sid: str, actions: list[str], resources: list[Any] | Any, *,
              condition: Json | None = None) -> Json:
    out: Json = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions),
                 "Resource": resources if isinstance(resources, list) else [resources]}
    if condition:
        out["Condition"] = condition
    return out


def any_resource(sid: str, actions: list[str], *, condition: Json | None = None) -> Json:
    """A statement on ``Resource: "*"``; only for the Sids of ``RESOURCE_STAR_ALLOWED``."""
    if sid not in RESOURCE_STAR_ALLOWED:
        raise ValueError(f"statement {sid} may not use Resource '*': add the reason to RESOURCE_STAR_ALLOWED")
    return statement(sid, actions, "*", condition=condition)


#: What the MLflow client does on a SageMaker AI MLflow tracking server (actions from AWS's
#: authorization reference for the sagemaker-mlflow service; the tests check them there).
MLFLOW_TRAINING_ACTIONS = (
    "sagemaker-mlflow:GetExperimentByName", "sagemaker-mlflow:CreateExperiment",
    "sagemaker-mlflow:SearchRuns", "sagemaker-mlflow:CreateRun", "sagemaker-mlflow:DeleteRun",
    "sagemaker-mlflow:GetRun", "sagemaker-mlflow:UpdateRun", "sagemaker-mlflow:LogBatch",
    "sagemaker-mlflow:SetTag", "sagemaker-mlflow:CreateRegisteredModel",
    "sagemaker-mlflow:CreateModelVersion", "sagemaker-mlflow:GetModelVersion",
)
MLFLOW_PROMOTION_ACTIONS = (
    "sagemaker-mlflow:SetRegisteredModelAlias", "sagemaker-mlflow:SetModelVersionTag",
    "sagemaker-mlflow:GetModelVersion", "sagemaker-mlflow:GetRun", "sagemaker-mlflow:SearchRuns",
    "sagemaker-mlflow:SetTag", "sagemaker-mlflow:UpdateRun",
)


def mlflow_statement(arn: str, actions: tuple[str, ...]) -> list[Json]:
    """The MLflow actions on the one tracking server given (none without one)."""
    return [statement("MlflowTracking", list(actions), arn)] if arn else []


def xray_statement() -> Json:
    return any_resource("XRayTracing", ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                                        "xray:GetSamplingRules", "xray:GetSamplingTargets"])


def trust(service: str, *, source_account: bool = True) -> Json:
    """Trust policy for one AWS service principal, limited to this account (confused deputy)."""
    stmt: Json = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if source_account:
        stmt["Condition"] = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    return {"Version": "2012-10-17", "Statement": [stmt]}


def role(description: str, service: str, policy_name: str, statements: list[Json], *,
         source_account: bool = True) -> Json:
    """An IAM role with one inline policy; the role name is generated by CloudFormation."""
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            "AssumeRolePolicyDocument": trust(service, source_account=source_account),
            "Policies": [{"PolicyName": policy_name,
                          "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}],
        },
    }


def kms_statement(actions: list[str]) -> Json:
    """Use of the customer KMS key, present only when one is given (``HasKmsKey``)."""
    return {"Fn::If": ["HasKmsKey", statement("KmsKey", actions, {"Ref": "KmsKeyArn"}),
                       {"Ref": "AWS::NoValue"}]}


def log_group_arn(logical_id: str) -> Json:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def log_writer_statement(log_group_logical_id: str) -> Json:
    """Write to one log group (its streams) and nothing else."""
    # GetAtt Arn of a log group already ends in ":*", which covers its streams.
    return statement("WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                     [log_group_arn(log_group_logical_id)])


def role_statements(role_resource: Json) -> list[Json]:
    """The statements of a role's inline policies, with ``Fn::If`` branches expanded."""
    out: list[Json] = []
    for policy in role_resource["Properties"].get("Policies", []):
        for item in policy["PolicyDocument"]["Statement"]:
            if isinstance(item, dict) and "Fn::If" in item:
                out.extend(b for b in item["Fn::If"][1:] if isinstance(b, dict) and "Effect" in b)
            else:
                out.append(item)
    return out
