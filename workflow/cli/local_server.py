"""``deploy_workflow.py local up|status|down``: the local AWS server in the background."""
from __future__ import annotations

import argparse
from pathlib import Path

from workflow.local import lifecycle
from workflow.local.lifecycle import DEFAULT_DATA_DIR, DEFAULT_PORT


def register(subparsers: argparse._SubParsersAction) -> None:
    local = subparsers.add_parser(
        "local", help="run the local AWS server (Step Functions, Lambda, SageMaker, ...)")
    actions = local.add_subparsers(dest="action", metavar="ACTION", required=True)

    up = actions.add_parser("up", help="start the server in the background")
    up.add_argument("--port", type=int, default=DEFAULT_PORT,
                    help=f"port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)")
    up.add_argument("--time-scale", type=float, default=1.0,
                    help="divide every wait the server makes by this factor (default 1)")
    up.add_argument("--mlflow-port", type=int, default=None,
                    help="port of the MLflow tracking server started beside it (default --port + 1; "
                         "0: any free port; -1: none)")
    up.add_argument("--timeout", type=float, default=60.0,
                    help="seconds to wait for the server to answer (default 60)")
    up.add_argument("--iam", choices=("enforce", "off"),
                    help="authorize every call a role session makes as IAM would (enforce), or none "
                         "(off); your own credentials act as the account either way (default: the data "
                         "directory's last setting, enforce on a new one)")
    up.set_defaults(func=cmd_up)

    status = actions.add_parser("status", help="say whether the server runs, and where")
    status.set_defaults(func=cmd_status)

    down = actions.add_parser("down", help="stop the server")
    down.set_defaults(func=cmd_down)

    for parser in (up, status, down):
        parser.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR),
                            help=f"the server's data directory (default {DEFAULT_DATA_DIR})")


def _describe(state: lifecycle.ServerState) -> None:
    print(f"endpoint_url: {state.endpoint_url}")
    print(f"data_dir: {state.data_dir}")
    print(f"pid: {state.pid}")
    print(f"iam: {state.iam}")
    if state.mlflow_url:
        print(f"mlflow_url: {state.mlflow_url}  (the MLflow UI; it may take a few seconds to answer)")


def cmd_up(args: argparse.Namespace) -> int:
    if args.time_scale <= 0:
        print("error: --time-scale must be positive")
        return 2
    state = lifecycle.read_state(args.data_dir)
    if state is not None and lifecycle.healthy(state.endpoint_url):
        print("the local server is already running")
        _describe(state)
        if args.iam and args.iam != state.iam:
            print(f"error: it runs with --iam {state.iam}; stop it (local down) to start it with --iam {args.iam}")
            return 1
        return 0
    try:
        state, _ = lifecycle.start(args.data_dir, port=args.port, time_scale=args.time_scale,
                                   timeout=args.timeout, iam=args.iam, mlflow_port=args.mlflow_port)
    except lifecycle.StartError as exc:
        print(f"error: {exc}")
        return 1
    print("the local server is up")
    _describe(state)
    print(f"use it with: export AWS_ENDPOINT_URL={state.endpoint_url}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state = lifecycle.read_state(args.data_dir)
    if state is None:
        print(f"the local server is not running (data dir {args.data_dir.resolve()})")
        return 1
    answering = lifecycle.healthy(state.endpoint_url)
    print("the local server is running" + ("" if answering else " but does not answer"))
    _describe(state)
    return 0 if answering else 1


def cmd_down(args: argparse.Namespace) -> int:
    if not lifecycle.stop(args.data_dir):
        print(f"the local server is not running (data dir {args.data_dir.resolve()})")
        return 0
    print("the local server is stopped; executions it was running go on when it starts again")
    return 0
