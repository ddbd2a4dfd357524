"""Builds the ``deploy_workflow.py`` parser from the command modules and runs one."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module exposes ``register(subparsers)`` and adds the commands listed here;
# every parser it adds sets ``func(args) -> int`` with ``set_defaults``. Only the
# module of the command being run is imported: `--help` stays quick, a missing
# optional dependency only affects its own commands, and `run` starts the local
# server before boto3 and the AWS modules would have been imported.
COMMANDS: dict[str, tuple[str, ...]] = {
    "workflow.cli.run": ("run",),
    "workflow.cli.local_server": ("local",),
    "workflow.cli.executions": ("start", "executions", "describe", "history", "stop", "redrive"),
    "workflow.cli.schedules": ("schedule",),
    "workflow.cli.logs": ("logs",),
    "workflow.cli.graph": ("graph",),
    "workflow.cli.endpoints": ("invoke", "load"),
    "workflow.cli.aws_deploy": ("deploy", "synth", "destroy"),
    "workflow.cli.train_local": ("train",),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command``, or for every command when it is None or unknown."""
    parser = argparse.ArgumentParser(
        prog="deploy_workflow.py",
        description="Train, tune, deploy, autoscale and smoke-test a dog-breed classifier "
        "with one Step Functions state machine, locally or on AWS.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    known = any(command in names for names in COMMANDS.values())
    for module, names in COMMANDS.items():
        if not known or command in names:
            importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((a for a in argv if not a.startswith("-")), None))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
