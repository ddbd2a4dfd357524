"""What one deployment is made of: names, buckets, images, code locations and options.

The template, the stored schedule input and the CLI all read one ``StackSettings``,
so a value is decided in one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

#: SageMaker names its tuning jobs at most 32 characters; ``<prefix>-<8 hex>`` must fit.
PREFIX_PATTERN = r"^[a-z][a-z0-9-]{0,21}[a-z0-9]$"
STACK_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9-]{0,127}$"
DEFAULT_STACK_NAME = "dog-breed-pipeline"
#: PyTorch DLC version whose training and inference images both exist (sagemaker-core config).
FRAMEWORK_VERSION = "2.6"
PY_VERSION = "py312"
LAMBDA_RUNTIME = "python3.12"
LAMBDA_FUNCTIONS = ("stage_data", "smoke_test", "invoke_endpoint", "promote_model")
#: PyTorch training images that ship smdebug, so that the SageMaker Debugger hook runs in them
#: (the Deep Learning Containers' Dockerfiles install it in the SageMaker images of 2.0, smdebug
#: 1.0.26, and 2.1, smdebug 1.0.34; from 2.2 on no image has it).
SMDEBUG_TRAINING_VERSIONS = ("2.0", "2.1")
#: Whether this stack's training image can run the Debugger variant of the Train state.
DEBUGGER_SUPPORTED = FRAMEWORK_VERSION in SMDEBUG_TRAINING_VERSIONS
#: A SageMaker AI MLflow tracking server (or MLflow App) ARN.
MLFLOW_ARN_PATTERN = (r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:"
                      r"(mlflow-tracking-server|mlflow-app)/[A-Za-z0-9][A-Za-z0-9-]*$")
#: What a training job installs to log to a SageMaker AI MLflow tracking server: the MLflow
#: client and the plugin that signs its requests with the job's role.
MLFLOW_TRAINING_REQUIREMENTS = ("mlflow-skinny>=3,<4", "sagemaker-mlflow>=0.2")


class SettingsError(ValueError):
    """A deployment setting is invalid; the message names the flag or field."""


def prefix_from_stack_name(stack_name: str) -> str:
    """A SageMaker-safe resource prefix for ``stack_name`` (ARNs of SageMaker resources are lowercase)."""
    prefix = re.sub(r"[^a-z0-9-]+", "-", stack_name.lower()).strip("-")[:23].rstrip("-")
    return check_prefix(prefix or "pipeline")


def prefix_uri(bucket: str, resource_prefix: str, name: str) -> str:
    """Where a pipeline keeps one kind of data in its bucket: ``s3://<bucket>/<prefix>/<name>``
    (``data``, ``output``, ``incoming``), on AWS and on the local server alike."""
    return f"s3://{bucket}/{resource_prefix}/{name}"


def check_prefix(prefix: str) -> str:
    if not re.match(PREFIX_PATTERN, prefix):
        raise SettingsError(
            f"ValidationException: resource prefix {prefix!r} must be 2-23 lowercase letters, digits or "
            "hyphens, starting with a letter (SageMaker tuning job names are at most 32 characters)")
    return prefix


def check_mlflow_arn(arn: str) -> str:
    if arn and not re.match(MLFLOW_ARN_PATTERN, arn):
        raise SettingsError(f"ValidationException: --mlflow-tracking-server-arn {arn!r} is not the ARN of a "
                            "SageMaker AI MLflow tracking server (arn:aws:sagemaker:REGION:ACCOUNT:"
                            "mlflow-tracking-server/NAME)")
    return arn


def check_stack_name(name: str) -> str:
    if not re.match(STACK_NAME_PATTERN, name):
        raise SettingsError(f"ValidationException: --stack-name {name!r} must start with a letter and "
                            "hold only letters, digits and hyphens (at most 128)")
    return name


@dataclass(frozen=True)
class Images:
    training: str
    inference: str
    rule_evaluator: str

    def all(self) -> tuple[str, ...]:
        return (self.training, self.inference, self.rule_evaluator)


@dataclass(frozen=True)
class CodeLocations:
    """S3 keys of the uploaded artefacts in the artifact bucket, content-addressed."""
    lambdas: dict[str, str]
    sourcedir: str


@dataclass(frozen=True)
class StackSettings:
    stack_name: str
    region: str
    artifact_bucket: str
    images: Images
    code: CodeLocations
    resource_prefix: str = ""
    data_bucket: str = ""
    create_data_bucket: bool = False
    endpoint_name: str = ""
    schedule_expression: str = ""
    schedule_input: str = ""
    kms_key_arn: str = ""
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    provisioned_concurrency: int = 1
    reserved_concurrency: dict[str, int] = field(default_factory=lambda: {
        "stage_data": 2, "smoke_test": 2, "invoke_endpoint": 20, "promote_model": 2})
    log_retention_days: int = 90
    #: ``--mlflow-tracking-server-arn``: where the jobs and the registry step log (empty: nowhere).
    mlflow_tracking_server_arn: str = ""

    def __post_init__(self) -> None:
        check_stack_name(self.stack_name)
        if not self.resource_prefix:
            object.__setattr__(self, "resource_prefix", prefix_from_stack_name(self.stack_name))
        check_prefix(self.resource_prefix)
        if self.create_data_bucket and self.data_bucket in ("", self.artifact_bucket):
            raise SettingsError("ValidationException: --create-data-bucket needs --data-bucket naming a new "
                                "bucket (the artifact bucket must exist before the stack)")
        if not self.data_bucket:
            object.__setattr__(self, "data_bucket", self.artifact_bucket)
        if not self.endpoint_name:
            object.__setattr__(self, "endpoint_name", f"{self.resource_prefix}-endpoint")
        if not self.endpoint_name.startswith(self.resource_prefix):
            raise SettingsError(f"ValidationException: endpoint name {self.endpoint_name!r} must start with the "
                                f"resource prefix {self.resource_prefix!r} (the IAM policies are scoped to it)")
        if bool(self.subnet_ids) != bool(self.security_group_ids):
            raise SettingsError("ValidationException: --subnet-ids and --security-group-ids go together")
        check_mlflow_arn(self.mlflow_tracking_server_arn)
        if self.provisioned_concurrency > self.reserved_concurrency["invoke_endpoint"]:
            raise SettingsError("ValidationException: provisioned concurrency of invoke_endpoint exceeds its "
                                "reserved concurrency")

    @property
    def source_dir_uri(self) -> str:
        return f"s3://{self.artifact_bucket}/{self.code.sourcedir}"

    @property
    def data_prefix(self) -> str:
        return prefix_uri(self.data_bucket, self.resource_prefix, "data")

    @property
    def output_prefix(self) -> str:
        return prefix_uri(self.data_bucket, self.resource_prefix, "output")

    @property
    def incoming_prefix(self) -> str:
        return prefix_uri(self.data_bucket, self.resource_prefix, "incoming")
