"""``deploy_workflow.py graph``: draw the state machine, coloured by an execution if given."""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from workflow.cli.guard import reporting
from workflow.definition import DEFINITION_FILE
from workflow.graph import GraphvizMissing, render_file
from workflow.graph.catches import COLLAPSED, MODES
from workflow.graph.execution import ExecutionNotFound, load_execution
from workflow.graph.model import InvalidDefinition
from workflow.graph.render import FORMATS

_ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_SFN", "AWS_ENDPOINT_URL")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "graph", help="draw the state machine (SVG, PNG, DOT or Mermaid), coloured by an execution")
    parser.add_argument("--definition", type=Path, default=DEFINITION_FILE,
                        help="ASL definition file (default statemachine.json)")
    parser.add_argument("--execution", metavar="ARN_OR_NAME",
                        help="colour each state by what happened in this execution")
    parser.add_argument("--out", type=Path, required=True,
                        help=f"output file; its suffix picks the format ({', '.join(sorted(FORMATS))})")
    parser.add_argument("--catch-edges", choices=MODES, default=COLLAPSED,
                        help="collapsed (default): a state that catches into a clean-up shared by "
                        "many states gets a short marked edge; all: draw every Catch edge in full")
    parser.add_argument("--endpoint-url", help="Step Functions endpoint (default: AWS_ENDPOINT_URL, "
                        "else the running local server, else AWS with --region)")
    parser.add_argument("--region", help="AWS region, to read the execution from AWS")
    parser.add_argument("--data-dir", type=Path, help="data directory of the local server to read "
                        "(default .local/server)")
    parser.set_defaults(func=reporting(cmd_graph, ValueError, LookupError, GraphvizMissing, InvalidDefinition,
                                       ExecutionNotFound))


def stepfunctions_client(args: argparse.Namespace) -> Any:
    """A Step Functions client for --endpoint-url, AWS_ENDPOINT_URL, the local server or AWS."""
    endpoint = args.endpoint_url
    if endpoint is None and not any(os.environ.get(v) for v in _ENDPOINT_VARIABLES) and not args.region:
        from workflow.local import lifecycle
        from workflow.local.lifecycle import DEFAULT_DATA_DIR

        state = lifecycle.read_state(args.data_dir or Path(DEFAULT_DATA_DIR))
        if state is None:
            raise LookupError("no local server is running (start one with 'deploy_workflow.py local up'); "
                              "pass --endpoint-url, set AWS_ENDPOINT_URL, or pass --region for AWS")
        endpoint = state.endpoint_url
    session = boto3.session.Session(region_name=args.region or os.environ.get("AWS_DEFAULT_REGION")
                                    or "us-east-1")
    credentials: dict[str, str] = {}
    # The local server takes any credentials; a machine without AWS ones still reaches it.
    local = endpoint is not None or any(os.environ.get(v) for v in _ENDPOINT_VARIABLES)
    if local and session.get_credentials() is None:
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return session.client("stepfunctions", endpoint_url=endpoint,
                          config=Config(retries={"mode": "standard", "max_attempts": 3}), **credentials)


def _read_definition(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ValueError(f"--definition {path}: cannot read it ({err.strerror})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"--definition {path}: not JSON ({err.msg} at line {err.lineno})") from None


def cmd_graph(args: argparse.Namespace) -> int:
    events = None
    title = ""
    if args.execution:
        record = load_execution(stepfunctions_client(args), args.execution)
        definition, events = record.definition, record.events
        title = f"{record.description['name']}: {record.description['status']}"
    else:
        definition = _read_definition(args.definition)
    out = render_file(definition, args.out, events, title, args.catch_edges)
    print(f"wrote {out}")
    return 0
