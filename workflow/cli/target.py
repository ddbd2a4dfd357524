"""Where the execution commands point: the local server or a deployed stack on AWS.

The commands themselves are the same boto3 calls either way; only the session,
the endpoint URL and the state machine ARN differ. ``--region``/``--stack-name``
mean AWS (the ARN comes from the stack's outputs); otherwise ``--endpoint-url``,
``AWS_ENDPOINT_URL`` or the running local server's state file.
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workflow.aws.settings import DEFAULT_STACK_NAME
from workflow.local import lifecycle
from workflow.local.lifecycle import DEFAULT_DATA_DIR

_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_SFN", "AWS_ENDPOINT_URL")


def _retries() -> Any:
    # Deferred with boto3 (a tenth of a second to import): `run` starts the server first.
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 3})


class TargetError(LookupError):
    pass


@dataclass
class Target:
    session: Any
    endpoint_url: str | None
    state_machine_arn: str
    on_aws: bool
    resource_prefix: str = ""
    stack_outputs: dict[str, str] | None = None
    stack_name: str = ""

    def client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url, config=_retries())

    def where(self) -> str:
        return f"AWS {self.session.region_name}" if self.on_aws else f"local server {self.endpoint_url}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (AWS when --region or --stack-name is given, else local)")
    group.add_argument("--region", help="AWS region of the deployed stack")
    group.add_argument("--stack-name", help=f"deployed stack (default {DEFAULT_STACK_NAME} with --region)")
    group.add_argument("--endpoint-url", help="local server URL (default: AWS_ENDPOINT_URL, else the "
                       "running local server)")
    group.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR),
                       help=f"the local server's data directory (default {DEFAULT_DATA_DIR})")
    group.add_argument("--state-machine", metavar="NAME_OR_ARN",
                       help="locally: which state machine (default: the only one, or the pipeline's)")


def _local_endpoint(args: argparse.Namespace) -> str:
    if args.endpoint_url:
        return args.endpoint_url
    for variable in _ENDPOINT_VARIABLES:
        if os.environ.get(variable):
            return os.environ[variable]
    state = lifecycle.read_state(args.data_dir)
    if state is None:
        raise TargetError("no local server is running (start one with 'deploy_workflow.py local up' or "
                          "'deploy_workflow.py run'); pass --endpoint-url, set AWS_ENDPOINT_URL, or pass "
                          "--region/--stack-name for AWS")
    return state.endpoint_url


def _pick_state_machine(sfn: Any, wanted: str | None) -> str:
    if wanted and wanted.startswith("arn:"):
        return wanted
    machines = [m for page in sfn.get_paginator("list_state_machines").paginate() for m in page["stateMachines"]]
    if wanted:
        for machine in machines:
            if machine["name"] == wanted:
                return machine["stateMachineArn"]
        raise TargetError(f"StateMachineDoesNotExist: no state machine named {wanted!r} "
                          f"(there are: {', '.join(m['name'] for m in machines) or 'none'})")
    if len(machines) == 1:
        return machines[0]["stateMachineArn"]
    for machine in machines:
        if machine["name"] == DEFAULT_STACK_NAME:
            return machine["stateMachineArn"]
    raise TargetError("pick a state machine with --state-machine: " +
                      (", ".join(m["name"] for m in machines) if machines else "there is none yet"))


def resolve(args: argparse.Namespace) -> Target:
    import boto3

    if args.region or args.stack_name:
        from workflow.aws.changeset import DeployError, outputs, physical_id
        from workflow.aws.settings import prefix_from_stack_name

        region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise TargetError("--region is needed to find the stack on AWS")
        session = boto3.session.Session(region_name=region)
        stack = args.stack_name or DEFAULT_STACK_NAME
        cfn = session.client("cloudformation", config=_retries())
        try:
            found = outputs(cfn, stack)
        except DeployError as exc:
            raise TargetError(str(exc)) from None
        # The resource itself is the source of truth for the ARN; outputs are for people.
        arn = physical_id(cfn, stack, "StateMachine")
        if not arn:
            raise TargetError(f"stack {stack} has no StateMachine resource; was it deployed by deploy_workflow.py?")
        return Target(session, None, arn, True, prefix_from_stack_name(stack), found, stack)
    endpoint = _local_endpoint(args)
    session = boto3.session.Session(region_name=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
    if session.get_credentials() is None:  # the local server accepts any signature
        session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                        region_name=session.region_name)
    target = Target(session, endpoint, "", False)
    target.state_machine_arn = _pick_state_machine(target.client("stepfunctions"), args.state_machine)
    return target
