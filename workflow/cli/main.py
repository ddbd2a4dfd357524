"""Builds the ``deploy_workflow.py`` parser from the command modules and runs one."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module exposes ``register(subparsers)``; every parser it adds sets
# ``func(args) -> int`` with ``set_defaults``. Modules are imported lazily so
# that `--help` stays quick and a missing optional dependency only affects
# the commands that need it.
COMMAND_MODULES: tuple[str, ...] = (
    "workflow.cli.run",
    "workflow.cli.local_server",
    "workflow.cli.executions",
    "workflow.cli.logs",
    "workflow.cli.graph",
    "workflow.cli.endpoints",
    "workflow.cli.aws_deploy",
    "workflow.cli.train_local",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="deploy_workflow.py",
        description="Train, tune, deploy, autoscale and smoke-test a dog-breed classifier "
        "with one Step Functions state machine, locally or on AWS.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
