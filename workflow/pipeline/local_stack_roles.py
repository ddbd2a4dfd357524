"""The stack's IAM roles on the local server: the ones the CloudFormation template gives AWS.

The local deployment renders the template for the local account, region and bucket
(``workflow.aws.template.build``) and creates its roles through the server's IAM API
(``workflow.aws.local_roles``): the state machine, each Lambda function, the SageMaker jobs and
models, and the retraining schedule then run as those roles, under those policies.
"""
from __future__ import annotations

from typing import Any

from workflow.aws import lambdas
from workflow.aws.local_roles import RoleDefinition, apply_roles, default_role_name, local_roles
from workflow.aws.settings import DEFAULT_STACK_NAME, CodeLocations, Images, StackSettings
from workflow.aws.template import build
from workflow.local.context import ACCOUNT_ID, REGION
from workflow.pipeline.defaults import LOCAL_BUCKET, PREFIX

STACK_NAME = DEFAULT_STACK_NAME
#: Image URIs only name ECR repositories in the SageMaker role's PullImages statement, which
#: the local runtime (running training_src/ itself) never exercises; any registry URI will do.
_IMAGES = Images(*(f"763104351884.dkr.ecr.{REGION}.amazonaws.com/{name}:local"
                   for name in ("pytorch-training", "pytorch-inference", "sagemaker-debugger-rules")))
#: A retraining schedule is part of the stack, so that its role is there for `--schedule`.
_SCHEDULE = "rate(1 day)"

role_name = default_role_name(STACK_NAME)


def role_arn(logical_id: str) -> str:
    """The ARN of the stack's role ``logical_id`` on the local server."""
    return f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name(logical_id)}"


def function_role_arn(function: str) -> str:
    """The role of the Lambda function ``function`` (``stage_data``)."""
    return role_arn(f"{lambdas.logical_id(function)}Role")


def local_settings() -> StackSettings:
    """The default stack's settings, with the local bucket as its artifact and data bucket."""
    return StackSettings(
        stack_name=STACK_NAME, region=REGION, artifact_bucket=LOCAL_BUCKET, resource_prefix=PREFIX,
        images=_IMAGES, code=CodeLocations({name: f"{PREFIX}/code/{name}.zip" for name in lambdas.FUNCTIONS},
                                           f"{PREFIX}/code/sourcedir.tar.gz"),
        schedule_expression=_SCHEDULE, schedule_input="{}")


def stack_roles() -> list[RoleDefinition]:
    return local_roles(build(local_settings()), stack_name=STACK_NAME, account=ACCOUNT_ID, region=REGION)


def put_roles(iam: Any, roles: list[RoleDefinition] | None = None) -> None:
    """Create or update the stack's roles on the local server (``iam``: its IAM client)."""
    apply_roles(iam, stack_roles() if roles is None else roles)
