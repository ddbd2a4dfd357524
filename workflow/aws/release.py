"""The deploy flow: package, upload, render, deploy by change set; and ``synth`` without the AWS calls."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workflow.aws import changeset, images, packaging, template, upload
from workflow.aws.execution_input import check_for_stack, default_aws_input
from workflow.aws.schedule import validate_expression
from workflow.aws.settings import (
    LAMBDA_FUNCTIONS,
    MLFLOW_TRAINING_REQUIREMENTS,
    CodeLocations,
    StackSettings,
    check_mlflow_arn,
    check_stack_name,
    prefix_from_stack_name,
)
from workflow.execution_input import check, load


@dataclass(frozen=True)
class Request:
    """What the user asked for on the command line."""
    stack_name: str
    region: str
    bucket: str
    build_dir: Path
    training_instance_type: str = "ml.g4dn.xlarge"
    endpoint_instance_type: str = "ml.m5.large"
    schedule: str = ""
    schedule_input: Path | None = None
    dataset_uri: str = ""
    data_bucket: str = ""
    create_data_bucket: bool = False
    kms_key_arn: str = ""
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    provisioned_concurrency: int = 1
    with_dependencies: bool = True
    mlflow_tracking_server_arn: str = ""


@dataclass(frozen=True)
class Prepared:
    settings: StackSettings
    template: dict[str, Any]
    text: str
    artifacts: dict[str, tuple[str, packaging.Artifact]]


def prepare(request: Request) -> Prepared:
    """Validate the request, build the artefacts and render the template (no AWS calls)."""
    check_stack_name(request.stack_name)
    if request.schedule:
        validate_expression(request.schedule)
    prefix = prefix_from_stack_name(request.stack_name)
    check_mlflow_arn(request.mlflow_tracking_server_arn)
    zips, sourcedir = packaging.build_all(
        request.build_dir, LAMBDA_FUNCTIONS, with_dependencies=request.with_dependencies,
        training_requirements=MLFLOW_TRAINING_REQUIREMENTS if request.mlflow_tracking_server_arn else ())
    artifacts = {name: (art.key(prefix), art) for name, art in zips.items()}
    artifacts["sourcedir"] = (sourcedir.key(prefix), sourcedir)
    settings = StackSettings(
        stack_name=request.stack_name, region=request.region, artifact_bucket=request.bucket,
        images=images.retrieve(request.region, request.training_instance_type, request.endpoint_instance_type),
        code=CodeLocations(lambdas={n: artifacts[n][0] for n in LAMBDA_FUNCTIONS},
                           sourcedir=artifacts["sourcedir"][0]),
        resource_prefix=prefix, data_bucket=request.data_bucket, create_data_bucket=request.create_data_bucket,
        kms_key_arn=request.kms_key_arn, subnet_ids=request.subnet_ids,
        security_group_ids=request.security_group_ids, provisioned_concurrency=request.provisioned_concurrency,
        mlflow_tracking_server_arn=request.mlflow_tracking_server_arn)
    if request.schedule:
        stored = (load(request.schedule_input) if request.schedule_input else
                  default_aws_input(settings, dataset_uri=request.dataset_uri,
                                    training_instance_type=request.training_instance_type,
                                    endpoint_instance_type=request.endpoint_instance_type))
        check(stored, "schedule input")
        check_for_stack(stored, settings.resource_prefix, "schedule input")
        settings = replace(settings, schedule_expression=request.schedule,
                           schedule_input=json.dumps(stored, sort_keys=True, separators=(",", ":")))
    rendered = template.build(settings)
    return Prepared(settings, rendered, template.to_text(rendered), artifacts)


def deploy(prepared: Prepared, session: Any, *, say: Callable[[str], None] = print,
           timeout: float = 3600.0, poll: float = 5.0) -> changeset.DeployResult:
    settings = prepared.settings
    s3 = session.client("s3", region_name=settings.region)
    upload.check_bucket(s3, settings.artifact_bucket, settings.region)
    for key, artifact in sorted(prepared.artifacts.values()):
        uploaded = upload.upload_artifact(s3, settings.artifact_bucket, key, artifact, settings.kms_key_arn)
        say(f"{'uploaded' if uploaded else 'unchanged'} s3://{settings.artifact_bucket}/{key}")
    # Templates above 51,200 bytes must come from S3; the definition alone is about that size.
    digest = hashlib.sha256(prepared.text.encode()).hexdigest()[:16]
    key = f"{settings.resource_prefix}/templates/template-{digest}.json"
    upload.upload_text(s3, settings.artifact_bucket, key, prepared.text, settings.kms_key_arn)
    cfn = session.client("cloudformation", region_name=settings.region)
    return changeset.deploy(cfn, settings.stack_name, upload.https_url(settings.artifact_bucket, key, settings.region),
                            template.parameter_values(settings), say=say, timeout=timeout, poll=poll,
                            tags={"workflow:pipeline": settings.resource_prefix})
