"""Commands that talk to a target (the local server or a stack on AWS): resolve it, run the
command, and turn refusals and AWS errors into one readable line and an exit status."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from workflow.cli.aws_errors import aws_error
from workflow.cli.target import Target, TargetError, resolve
from workflow.execution_input import InputError


def guarded(command: Callable[[argparse.Namespace, Target], int],
            *refusals: type[Exception]) -> Callable[[argparse.Namespace], int]:
    """Exit 2 for a bad target, input or one of ``refusals``; 1 for an AWS error."""
    return reporting(lambda args: command(args, resolve(args)), TargetError, InputError, *refusals)


def reporting(command: Callable[[argparse.Namespace], int],
              *refusals: type[Exception]) -> Callable[[argparse.Namespace], int]:
    """Exit 2 for one of ``refusals``, 1 for an AWS error, each reported in one line."""
    def run(args: argparse.Namespace) -> int:
        try:
            return command(args)
        except refusals as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except ClientError as exc:
            print(f"error: {aws_error(exc)}", file=sys.stderr)
            return 1
        except BotoCoreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return run
