"""``deploy``, ``synth`` and ``destroy``: the pipeline as a CloudFormation stack on AWS."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from workflow.aws.settings import DEFAULT_STACK_NAME, SettingsError
from workflow.cli.aws_errors import aws_error

DEFAULT_BUILD_DIR = Path("build/aws")


def _common(parser: argparse.ArgumentParser, *, region_required: bool) -> None:
    parser.add_argument("--region", required=region_required,
                        help="AWS region" + ("" if region_required else " (default us-east-1)"))
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME,
                        help=f"CloudFormation stack; its lowercase form prefixes every SageMaker resource "
                             f"(default {DEFAULT_STACK_NAME})")


def _template_options(parser: argparse.ArgumentParser, *, bucket_required: bool) -> None:
    parser.add_argument("--bucket", required=bucket_required,
                        help="existing S3 bucket for the code, the template and (by default) the data")
    parser.add_argument("--schedule", default="", metavar="EXPRESSION",
                        help='retrain on a schedule: "rate(7 days)" or "cron(0 3 ? * SUN *)"')
    parser.add_argument("--schedule-input", type=Path, metavar="FILE",
                        help="stored input of the scheduled executions (default: built from the flags)")
    parser.add_argument("--dataset", default="", metavar="S3_OR_HTTPS_URI",
                        help="dataset zip of the default stored input (default <incoming prefix>/dogImages.zip)")
    parser.add_argument("--instance-type", default="ml.g4dn.xlarge", help="training instance type")
    parser.add_argument("--endpoint-instance-type", default="ml.m5.large", help="endpoint instance type")
    parser.add_argument("--data-bucket", default="", help="bucket for data and output (default --bucket)")
    parser.add_argument("--create-data-bucket", action="store_true",
                        help="let the stack create --data-bucket (encrypted, private, TLS only; kept on destroy)")
    parser.add_argument("--kms-key-arn", default="", help="customer managed KMS key for logs, Lambda and S3")
    parser.add_argument("--subnet-ids", default="", help="comma-separated subnets for the Lambda functions")
    parser.add_argument("--security-group-ids", default="", help="comma-separated security groups (with subnets)")
    parser.add_argument("--provisioned-concurrency", type=int, default=1,
                        help="warm environments of the inference function's alias (default 1)")
    parser.add_argument("--mlflow-tracking-server-arn", default="", metavar="ARN",
                        help="SageMaker AI MLflow tracking server the jobs log to and whose registry "
                             "gets each deployed model (default: no tracking)")
    parser.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR,
                        help=f"where the packages are built (default {DEFAULT_BUILD_DIR})")
    parser.add_argument("--no-deps", action="store_true",
                        help="package the Lambda functions without installing their requirements")


def register(subparsers: argparse._SubParsersAction) -> None:
    deploy = subparsers.add_parser("deploy", help="package, upload and deploy the stack to AWS (change set)")
    _common(deploy, region_required=True)
    _template_options(deploy, bucket_required=True)
    deploy.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the stack")
    deploy.set_defaults(func=cmd_deploy)

    synth = subparsers.add_parser("synth", help="print the CloudFormation template without deploying")
    _common(synth, region_required=False)
    _template_options(synth, bucket_required=False)
    synth.set_defaults(func=cmd_synth)

    destroy = subparsers.add_parser("destroy", help="delete the endpoints, models and configs the executions "
                                    "created, their autoscaling, then the stack")
    _common(destroy, region_required=True)
    destroy.add_argument("--timeout", type=float, default=1800, help="seconds to wait for the stack deletion")
    destroy.set_defaults(func=cmd_destroy)


def _split(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def request_from(args: argparse.Namespace):  # Request, imported lazily
    from workflow.aws.release import Request

    return Request(
        stack_name=args.stack_name, region=args.region or "us-east-1", bucket=args.bucket or "your-artifact-bucket",
        build_dir=args.build_dir, training_instance_type=args.instance_type,
        endpoint_instance_type=args.endpoint_instance_type, schedule=args.schedule,
        schedule_input=args.schedule_input, dataset_uri=args.dataset, data_bucket=args.data_bucket,
        create_data_bucket=args.create_data_bucket, kms_key_arn=args.kms_key_arn,
        subnet_ids=_split(args.subnet_ids), security_group_ids=_split(args.security_group_ids),
        provisioned_concurrency=args.provisioned_concurrency, with_dependencies=not args.no_deps,
        mlflow_tracking_server_arn=args.mlflow_tracking_server_arn)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_synth(args: argparse.Namespace) -> int:
    from workflow.aws.packaging import PackagingError
    from workflow.aws.release import prepare

    try:
        prepared = prepare(request_from(args))
    except (SettingsError, PackagingError, ValueError) as exc:
        return _fail(str(exc))
    sys.stdout.write(prepared.text)
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    import boto3

    from workflow.aws.changeset import DeployError
    from workflow.aws.packaging import PackagingError
    from workflow.aws.release import deploy, prepare

    try:
        print(f"packaging into {args.build_dir} ...")
        prepared = prepare(request_from(args))
        result = deploy(prepared, boto3.session.Session(region_name=args.region), timeout=args.timeout)
    except (SettingsError, PackagingError, ValueError) as exc:
        return _fail(str(exc))
    except (DeployError, NoCredentialsError) as exc:
        return _fail(str(exc), 1)
    except ClientError as exc:
        return _fail(aws_error(exc), 1)
    except BotoCoreError as exc:
        return _fail(str(exc), 1)
    if result.changed:
        print(f"start an execution with: deploy_workflow.py start --region {args.region} "
              f"--stack-name {args.stack_name} --input FILE")
    return 0


def cmd_destroy(args: argparse.Namespace) -> int:
    import boto3

    from workflow.aws.destroy import destroy
    from workflow.aws.settings import check_stack_name, prefix_from_stack_name

    try:
        check_stack_name(args.stack_name)
        prefix = prefix_from_stack_name(args.stack_name)
        removed = destroy(boto3.session.Session(region_name=args.region), args.region, args.stack_name, prefix,
                          timeout=args.timeout)
    except SettingsError as exc:
        return _fail(str(exc))
    except (RuntimeError, NoCredentialsError) as exc:
        return _fail(str(exc), 1)
    except ClientError as exc:
        return _fail(aws_error(exc), 1)
    lines = removed.lines()
    print("removed:" if lines else "nothing to remove")
    for line in lines:
        print(f"  {line}")
    print("kept: the S3 buckets and their objects (datasets, models, code); delete them yourself if unwanted")
    return 0
