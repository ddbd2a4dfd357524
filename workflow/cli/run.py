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
from pathlib import Path

from workflow.local.lifecycle import DEFAULT_PORT
from workflow.pipeline.server_start import ensure_server


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("run", help="run the whole pipeline on the local server (the embedded default)",
                              description=__doc__.splitlines()[0])
    p.add_argument("--dataset", help="dataset zip in the dogImages layout: a path or an http(s)://, "
                                     "s3:// or file:// URI (default: a generated synthetic dataset)")
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
    p.add_argument("--timeout", type=float, default=3600, help="give up following the run after this many seconds")
    p.set_defaults(func=cmd_run)


@functools.lru_cache(maxsize=None)
def _clients_for(endpoint_url: str):  # noqa: ANN202 - returns a boto3 client factory
    """One client per service for the whole run: building one loads its service model
    (a tenth of a second for SageMaker's)."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                    region_name="us-east-1")
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, read_timeout=120)

    @functools.lru_cache(maxsize=None)
    def client(service: str):  # noqa: ANN202 - a boto3 client
        return session.client(service, endpoint_url=endpoint_url, config=config)

    return client


def cmd_run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    workdir = args.work_dir.resolve()
    # First of all: the server's start-up overlaps the imports below and the run's set-up.
    server = ensure_server(workdir / "server", args.port, sys.stdout)
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
    print_success(output, time.monotonic() - started, data_dir, sys.stdout, clients("sagemaker"))
    if not args.keep_endpoint:
        from workflow.pipeline.teardown import delete_endpoint

        delete_endpoint(clients, output["endpoint_name"], sys.stdout)
    else:
        print("  the local server keeps serving; stop it with: python deploy_workflow.py local down")
    return 0
