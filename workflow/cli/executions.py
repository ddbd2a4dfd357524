"""``start``, ``executions``, ``describe``, ``history``, ``stop``, ``redrive``: the same code locally and on AWS."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from workflow.aws.stack_input import check_for_stack
from workflow.cli.guard import guarded
from workflow.cli.target import Target, add_arguments
from workflow.execution_input import InputError, check, load
from workflow.pipeline.watch import follow
from workflow.retraining import schedule_name, stored_input

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


def register(subparsers: argparse._SubParsersAction) -> None:
    start = subparsers.add_parser("start", help="start an execution of the pipeline")
    start.add_argument("--input", type=Path, metavar="FILE",
                       help="execution input (checked against statemachine.input.schema.json); on AWS the "
                            "default is the retraining schedule's stored input")
    start.add_argument("--name", help="execution name (an idempotency key; default: generated)")
    start.set_defaults(func=_guard(cmd_start))

    listing = subparsers.add_parser("executions", help="list executions, newest first")
    listing.add_argument("--status", choices=STATUSES, help="only executions with this status")
    listing.add_argument("--max", type=int, default=20, help="at most this many (default 20)")
    listing.add_argument("--redriven", dest="redrive_filter", action="store_const", const="REDRIVEN",
                         help="only executions that were redriven")
    listing.set_defaults(func=_guard(cmd_executions))

    describe = subparsers.add_parser("describe", help="status, input, output or error of an execution")
    describe.add_argument("execution", metavar="EXECUTION", help="execution name or ARN")
    describe.set_defaults(func=_guard(cmd_describe))

    history = subparsers.add_parser("history", help="the event history of an execution")
    history.add_argument("execution", metavar="EXECUTION", help="execution name or ARN")
    history.add_argument("--json", action="store_true", help="print the raw events as JSON")
    history.set_defaults(func=_guard(cmd_history))

    stop = subparsers.add_parser("stop", help="stop a running execution (its SageMaker jobs stop too)")
    stop.add_argument("execution", metavar="EXECUTION", help="execution name or ARN")
    stop.add_argument("--cause", default="stopped with deploy_workflow.py stop")
    stop.set_defaults(func=_guard(cmd_stop))

    redrive = subparsers.add_parser(
        "redrive", help="continue a failed, aborted or timed-out execution from the state that did not "
                        "succeed (what succeeded is not run again)")
    redrive.add_argument("execution", metavar="EXECUTION", help="execution name or ARN")
    redrive.add_argument("--client-token", help="idempotency token (default: a new one, as the SDKs do)")
    redrive.add_argument("--wait", action="store_true", help="print its new events until it ends; exit 0 "
                         "only when it succeeds")
    redrive.set_defaults(func=_guard(cmd_redrive))

    for parser in (start, listing, describe, history, stop, redrive):
        add_arguments(parser)


_guard = guarded


def execution_arn(target: Target, execution: str) -> str:
    if execution.startswith("arn:"):
        return execution
    head, _, machine = target.state_machine_arn.rpartition(":stateMachine:")
    return f"{head}:execution:{machine}:{execution}"


def _stored_input(target: Target) -> dict[str, Any]:
    name = schedule_name(target.resource_prefix)
    try:
        schedule = target.client("scheduler").get_schedule(Name=name)
    except ClientError as exc:
        raise InputError("ValidationException: no --input given and the stack has no retraining schedule "
                         f"({name}) to take the stored input from") from exc
    return stored_input(schedule["Target"]["Input"])


def cmd_start(args: argparse.Namespace, target: Target) -> int:
    if args.input:
        document = load(args.input)
    elif target.on_aws:
        document = check(_stored_input(target), "the schedule's stored input")
    else:
        raise InputError("ValidationException: --input FILE is required on the local server "
                         "('deploy_workflow.py run' builds a default input)")
    if target.on_aws:
        check_for_stack(document, target.resource_prefix, str(args.input or "stored input"))
    params: dict[str, Any] = {"stateMachineArn": target.state_machine_arn, "input": json.dumps(document)}
    if args.name:
        params["name"] = args.name
    started = target.client("stepfunctions").start_execution(**params)
    print(f"started {started['executionArn']} on {target.where()}")
    name = started["executionArn"].rsplit(":", 1)[-1]
    print(f"follow it with: deploy_workflow.py describe {name}  (or history {name})")
    return 0


def cmd_executions(args: argparse.Namespace, target: Target) -> int:
    params: dict[str, Any] = {"stateMachineArn": target.state_machine_arn, "maxResults": max(1, min(args.max, 1000))}
    if args.status:
        params["statusFilter"] = args.status
    if args.redrive_filter:
        params["redriveFilter"] = args.redrive_filter
    found = target.client("stepfunctions").list_executions(**params)["executions"]
    if not found:
        print("no executions")
    for item in found:
        stop = item.get("stopDate")
        took = f"{(stop - item['startDate']).total_seconds():.0f} s" if stop else "running"
        redriven = f"  redriven {item['redriveCount']}x" if item.get("redriveCount") else ""
        print(f"{item['name']:<40} {item['status']:<10} {item['startDate']:%Y-%m-%d %H:%M:%S}  {took}{redriven}")
    return 0


def _pretty(raw: str | None) -> str:
    if raw is None:
        return ""
    try:
        return json.dumps(json.loads(raw), indent=2)
    except ValueError:
        return raw


def cmd_describe(args: argparse.Namespace, target: Target) -> int:
    found = target.client("stepfunctions").describe_execution(executionArn=execution_arn(target, args.execution))
    print(f"name:    {found['name']}")
    print(f"status:  {found['status']}")
    print(f"started: {found['startDate']}")
    if found.get("stopDate"):
        print(f"stopped: {found['stopDate']}")
    if found.get("redriveCount"):
        print(f"redriven: {found['redriveCount']} time(s), last on {found.get('redriveDate')}")
    if found.get("error") or found.get("cause"):
        print(f"error:   {found.get('error', '')}")
        print(f"cause:   {found.get('cause', '')}")
        if found.get("redriveStatus") == "REDRIVABLE":
            print(f"redrive it from where it failed: deploy_workflow.py redrive {found['name']}")
        elif found.get("redriveStatusReason"):
            print(f"not redrivable: {found['redriveStatusReason']}")
    if found.get("output"):
        print("output:\n" + _pretty(found["output"]))
    return 0 if found["status"] in ("RUNNING", "SUCCEEDED") else 1


def _event_detail(event: dict[str, Any]) -> str:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            if value.get("name"):
                return value["name"]
            if value.get("error"):
                return f"{value['error']}: {value.get('cause', '')}"[:300]
            if value.get("resourceType"):
                return f"{value['resourceType']}:{value.get('resource', '')}"
    return ""


def cmd_history(args: argparse.Namespace, target: Target) -> int:
    sfn = target.client("stepfunctions")
    pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn(target, args.execution))
    events = [event for page in pages for event in page["events"]]
    if args.json:
        print(json.dumps(events, indent=2, default=str))
        return 0
    for event in events:
        print(f"{event['id']:>4} {event['timestamp']:%H:%M:%S} {event['type']:<36} {_event_detail(event)}")
    return 0


def cmd_stop(args: argparse.Namespace, target: Target) -> int:
    arn = execution_arn(target, args.execution)
    target.client("stepfunctions").stop_execution(executionArn=arn, error="Stopped", cause=args.cause)
    print(f"stopped {arn}")
    return 0


def cmd_redrive(args: argparse.Namespace, target: Target) -> int:
    sfn = target.client("stepfunctions")
    arn = execution_arn(target, args.execution)
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)["events"]
    params: dict[str, Any] = {"executionArn": arn}
    if args.client_token:
        params["clientToken"] = args.client_token
    answer = sfn.redrive_execution(**params)
    found = sfn.describe_execution(executionArn=arn)
    print(f"redrove {found['name']} on {target.where()} at {answer['redriveDate']:%Y-%m-%d %H:%M:%S} "
          f"(redrive {found.get('redriveCount', 1)})")
    if not args.wait:
        print(f"follow it with: deploy_workflow.py describe {found['name']}  (or history {found['name']})")
        return 0
    seen = last[0]["id"] if last else 0
    for event in follow(sfn, arn, poll=1.0, quick_poll=0.2):
        if event["id"] > seen:
            print(f"{event['id']:>4} {event['timestamp']:%H:%M:%S} {event['type']:<36} {_event_detail(event)}")
    status = sfn.describe_execution(executionArn=arn)["status"]
    print(f"execution {status.lower()}")
    return 0 if status == "SUCCEEDED" else 1
