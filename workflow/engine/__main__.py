"""Command line: ``python -m workflow.engine validate|run``.

``run`` prints exactly one JSON object on stdout,
``{"status": ..., "output": ..., "error": ..., "cause": ...}``, and exits 0 when the
execution SUCCEEDED, 1 when it did not. Problems with the files or the definition go
to stderr with exit status 2 (``validate`` exits 1 when there are diagnostics).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from .diagnostics import InvalidDefinition
from .execution import ExecutionContext
from .interpreter import Interpreter
from .limits import MAX_PAYLOAD_BYTES, payload_size
from .parsing import parse_definition
from .validation import validate_definition

USAGE_ERROR = 2


class InputError(Exception):
    pass


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"ValidationException: the {what} file '{path}' does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"ValidationException: cannot read the {what} file '{path}': {exc}") from None


def _read_input(path: str | None) -> Any:
    if path is None:
        return {}
    text = _read_text(path, "input")
    size = payload_size(text)
    if size > MAX_PAYLOAD_BYTES:
        raise InputError(
            f"InvalidExecutionInput: the input file '{path}' is {size} bytes, "
            f"over the limit of {MAX_PAYLOAD_BYTES} bytes"
        )
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InputError(f"InvalidExecutionInput: the input file '{path}' is not valid JSON: {exc}") from None


def _client_factory(endpoint_url: str | None, region: str) -> Callable[[str], Any]:
    import boto3

    session = boto3.session.Session(region_name=region)

    def factory(service: str) -> Any:
        kwargs: dict[str, Any] = {}
        if endpoint_url:
            kwargs["endpoint_url"] = endpoint_url
        return session.client(service, **kwargs)

    return factory


def cmd_validate(args: argparse.Namespace) -> int:
    diagnostics = validate_definition(_read_text(args.definition, "definition"))
    for item in diagnostics:
        print(f"{item.severity} {item.code}: {item.message}",
              file=sys.stderr if item.severity == "ERROR" else sys.stdout)
    if any(item.severity == "ERROR" for item in diagnostics):
        return 1
    print("The definition is valid.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    text = _read_text(args.definition, "definition")
    try:
        machine = parse_definition(text)
    except InvalidDefinition as exc:
        for item in exc.diagnostics:
            print(f"{item.severity} {item.code}: {item.message}", file=sys.stderr)
        return USAGE_ERROR
    data = _read_input(args.input)
    region = args.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    interpreter = Interpreter(
        machine, client_factory=_client_factory(args.endpoint_url, region),
        time_scale=args.time_scale, poll_interval=args.poll_interval,
    )
    events = open(args.events, "w", encoding="utf-8") if args.events else None
    try:
        def sink(event: dict[str, Any]) -> None:
            if events is not None:
                events.write(json.dumps(event, default=str) + "\n")

        ctx = ExecutionContext.local(args.name)
        handle = interpreter.start(data, ctx, sink)
        try:
            result = handle.wait()
        except KeyboardInterrupt:
            handle.stop("States.Aborted", "Interrupted from the command line")
            result = handle.wait(30)
    finally:
        if events is not None:
            events.close()
    assert result is not None
    print(json.dumps({"status": result.status, "output": result.output, "error": result.error, "cause": result.cause}))
    return 0 if result.status == "SUCCEEDED" else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workflow.engine", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a definition and print its diagnostics")
    validate.add_argument("--definition", required=True, help="ASL definition file (JSON)")
    validate.set_defaults(func=cmd_validate)
    run = commands.add_parser("run", help="run a definition and print its result as one JSON object")
    run.add_argument("--definition", required=True, help="ASL definition file (JSON)")
    run.add_argument("--input", help="execution input file (JSON); {} when omitted")
    run.add_argument("--endpoint-url", default=None,
                     help="endpoint for every AWS client (default: AWS_ENDPOINT_URL or AWS itself)")
    run.add_argument("--region", default=None, help="AWS region (default: AWS_REGION or us-east-1)")
    run.add_argument("--time-scale", type=float, default=1.0, help="divide every wait by this factor")
    run.add_argument("--poll-interval", type=float, default=5.0, help="seconds between .sync status polls")
    run.add_argument("--name", default="local", help="state machine name used in the context object")
    run.add_argument("--events", help="write the event history to this file, one JSON event per line")
    run.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return cast("int", args.func(args))
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
