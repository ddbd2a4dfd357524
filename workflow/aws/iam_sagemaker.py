"""The SageMaker execution role: what training jobs, Debugger rules and models run as."""
from __future__ import annotations

from workflow.aws.iam import (
    MLFLOW_TRAINING_ACTIONS,
    Json,
    any_resource,
    kms_statement,
    mlflow_statement,
    role,
    statement,
    sub,
)
from workflow.aws.settings import StackSettings


def ecr_repositories(images: tuple[str, ...]) -> list[Json]:
    """Repository ARNs of the container images (their account and region come from the image URI)."""
    arns = set()
    for uri in images:
        registry, _, rest = uri.partition("/")
        account, region = registry.split(".")[0], registry.split(".")[3]
        repository = rest.split(":")[0].split("@")[0]
        arns.add(f"arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repository}")
    return [sub(arn) for arn in sorted(arns)]


LOGS = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/sagemaker"


def log_statements(prefix: str) -> list[Json]:
    """SageMaker writes job logs to fixed groups, one stream per job, and endpoint logs to a group per endpoint."""
    # CloudWatch Logs authorizes CreateLogGroup and DescribeLogStreams on the group's
    # "log-group:NAME:log-stream:" ARN, which only the ":*" form matches ("Overview of managing
    # access permissions to your CloudWatch Logs resources", CloudWatch Logs User Guide): a
    # grant on the bare group ARN is never used, and a fresh region has no group yet.
    groups = [sub(f"{LOGS}/{kind}:*") for kind in ("TrainingJobs", "ProcessingJobs")]
    return [
        statement("SageMakerLogGroups", ["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                  [*groups, sub(f"{LOGS}/Endpoints/{prefix}*")]),
        statement("SageMakerLogStreams", ["logs:CreateLogStream", "logs:PutLogEvents"],
                  [sub(f"{LOGS}/TrainingJobs:log-stream:{prefix}*"),
                   sub(f"{LOGS}/Endpoints/{prefix}*"),
                   # Debugger names its rule-evaluation jobs itself, so their streams carry no prefix.
                   sub(f"{LOGS}/ProcessingJobs:log-stream:*")]),
    ]


def statements(settings: StackSettings) -> list[Json]:
    prefix = settings.resource_prefix
    data = f"arn:${{AWS::Partition}}:s3:::{settings.data_bucket}/{prefix}"
    code = f"arn:${{AWS::Partition}}:s3:::{settings.artifact_bucket}/{prefix}/code/*"
    buckets = sorted({settings.data_bucket, settings.artifact_bucket})
    return [
        statement("ReadDataAndCode", ["s3:GetObject"], [sub(f"{data}/data/*"), sub(code)]),
        # Models are created from the training output, so it is read back as well.
        statement("WriteOutput", ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
                  sub(f"{data}/output/*")),
        statement("ListOwnPrefixes", ["s3:ListBucket"],
                  [sub(f"arn:${{AWS::Partition}}:s3:::{b}") for b in buckets],
                  condition={"StringLike": {"s3:prefix": [f"{prefix}/*"]}}),
        any_resource("EcrAuthorization", ["ecr:GetAuthorizationToken"]),
        statement("PullImages", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                 "ecr:BatchCheckLayerAvailability"], ecr_repositories(settings.images.all())),
        *log_statements(prefix),
        any_resource("SageMakerMetrics", ["cloudwatch:PutMetricData"],
                     condition={"StringLike": {"cloudwatch:namespace": ["/aws/sagemaker/*", "aws/sagemaker/*"]}}),
        kms_statement(["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant"]),
        *mlflow_statement(settings.mlflow_tracking_server_arn, MLFLOW_TRAINING_ACTIONS),
    ]


def resource(settings: StackSettings) -> Json:
    return role(f"SageMaker training jobs, Debugger rules and models of {settings.resource_prefix}: "
                "read data and code, write output, pull the framework images, write logs and metrics.",
                "sagemaker.amazonaws.com", "sagemaker-execution", statements(settings))
