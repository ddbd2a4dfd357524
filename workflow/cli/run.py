"""``deploy_workflow.py run``: the whole pipeline on the local server, offline.

With no arguments: the synthetic dataset, the local server (started when it
is not running), the Lambdas and the state machine deployed onto it, one
execution with progress, and a summary. Exit 0 when the run succeeded.
"""
from __future__ import annotations

import argparse
import functools
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workflow.local.lifecycle import DEFAULT_PORT
from workflow.pipeline.server_start import ensure_server


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="run the whole pipeline on the local server (the embedded default)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--dataset", help="dataset zip in the dogImages layout: a path (uploaded to the local "
                                     "bucket first) or an s3://, http(s):// or file:// URI "
                                     "(default: a generated synthetic dataset)")
    p.add_argument("--input", type=Path, help="a full execution input (JSON); see statemachine.input.schema.json")
    p.add_argument("--endpoint-name", help="serve the model under this endpoint name")
    keep = p.add_mutually_exclusive_group()
    keep.add_argument("--keep-endpoint", dest="keep_endpoint", action="store_true", default=True,
                      help="leave the endpoint serving after the run (default)")
    keep.add_argument("--delete-endpoint", dest="keep_endpoint", action="store_false",
                      help="delete the endpoint, its config and model after a successful run")
    p.add_argument("--work-dir", type=Path, default=Path(".local"),
                   help="datasets, outputs and the local server's data (default .local)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"local server port (default {DEFAULT_PORT})")
    p.add_argument("--mlflow-port", type=int, default=None,
                   help="port of the MLflow tracking server the local server starts (default --port + 1; "
                        "-1: none, nothing is tracked)")
    p.add_argument("--schedule", metavar="EXPRESSION",
                   help='after a successful run, leave a local EventBridge Scheduler schedule that retrains '
                        'on the same input and updates the serving endpoint, e.g. "rate(1 day)"')
    p.add_argument("--schedule-timezone", default="UTC", help="time zone of --schedule (default UTC)")
    p.add_argument("--timeout", type=float, default=3600, help="give up following the run after this many seconds")
    p.add_argument("--iam", choices=("enforce", "off"), default="enforce",
                   help="start the local server authorizing every call the pipeline's roles make as IAM "
                        "would (enforce, the default), or none (off)")
    p.set_defaults(func=cmd_run)


@functools.lru_cache(maxsize=None)
def _clients_for(endpoint_url: str):  # returns a boto3 client factory
    """One client per service for the whole run: building one loads its service model
    (a tenth of a second for SageMaker's)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                    region_name="us-east-1")
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=120)

    @functools.lru_cache(maxsize=None)
    def client(service: str):  # a boto3 client
        return session.client(service, endpoint_url=endpoint_url, config=config)

    return client


def _leave_schedule(args: argparse.Namespace, result: Any, clients: Any) -> None:
    """The local schedule that retrains on this run's input (a rate schedule's first run
    one period from now: this run has just trained)."""
    from workflow.cli.schedules import put_schedule
    from workflow.cli.target import Target
    from workflow.local.scheduler.expressions import RateExpression, parse_expression
    from workflow.retraining import stored_input
    from workflow.schedule_status import next_firing

    expression = parse_expression(args.schedule.strip())
    start = (datetime.now(timezone.utc) + expression.period
             if isinstance(expression, RateExpression) else None)
    import boto3

    target = Target(boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                          region_name="us-east-1"),
                    result.endpoint_url, result.description["stateMachineArn"], False)
    arn = put_schedule(target, args.schedule, stored_input(result.description["input"]),
                       timezone_name=args.schedule_timezone, start_date=start)
    name = arn.rpartition("/")[2]
    schedule = clients("scheduler").get_schedule(Name=name)
    upcoming = next_firing(schedule)
    print(f"  retraining schedule:  {name} {args.schedule} ({args.schedule_timezone}), next run "
          f"{upcoming.astimezone().strftime('%Y-%m-%d %H:%M:%S %Z') if upcoming else 'none'}; "
          "list it with: python deploy_workflow.py schedule list")


def cmd_run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    workdir = args.work_dir.resolve()
    if args.schedule:
        from workflow.retraining import ScheduleError, retraining_schedule

        try:  # a typo ends the command before anything runs
            retraining_schedule("check", args.schedule, {}, timezone=args.schedule_timezone)
        except ScheduleError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    # First of all: the server's start-up overlaps the imports below and the run's set-up.
    server = ensure_server(workdir / "server", args.port, sys.stdout, iam=args.iam, mlflow_port=args.mlflow_port)
    from workflow.execution_input import InputError
    from workflow.pipeline.local_run import RunOptions, run_pipeline
    from workflow.pipeline.summary import print_failure, print_success

    options = RunOptions(workdir=workdir, dataset=args.dataset, input_file=args.input,
                         endpoint_name=args.endpoint_name, keep_endpoint=args.keep_endpoint,
                         timeout=args.timeout)
    try:
        result = run_pipeline(options, server, _clients_for, sys.stdout)
    except (InputError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    data_dir = workdir / "server"
    if result.status != "SUCCEEDED":
        redrivable = result.description.get("redriveStatus") == "REDRIVABLE"
        print_failure(result.history, result.status, data_dir, sys.stdout,
                      _clients_for(result.endpoint_url)("sagemaker"),
                      redrivable=result.description["name"] if redrivable else None)
        return 1
    output = json.loads(result.description.get("output") or "{}")
    clients = _clients_for(result.endpoint_url)
    print_success(output, time.monotonic() - started, data_dir, sys.stdout, clients("sagemaker"),
                  endpoint_url=result.endpoint_url, mlflow_url=result.mlflow_url,
                  execution_arn=result.execution_arn)
    if args.schedule:
        _leave_schedule(args, result, clients)
    if not args.keep_endpoint:
        from workflow.pipeline.teardown import delete_endpoint

        delete_endpoint(clients, output["endpoint_name"], sys.stdout)
    else:
        print("  the local server keeps serving; stop it with: python deploy_workflow.py local down")
    return 0
