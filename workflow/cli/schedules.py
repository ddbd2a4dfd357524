"""``deploy_workflow.py schedule create|list|delete``: retraining schedules, on the local
server's EventBridge Scheduler or on AWS's (``--region``), through the same API."""
from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from workflow.aws.local_roles import default_role_name
from workflow.aws.settings import DEFAULT_STACK_NAME
from workflow.aws.stack_input import check_for_stack
from workflow.cli.guard import guarded
from workflow.cli.target import Target, TargetError, add_arguments
from workflow.execution_input import InputError, check, load
from workflow.retraining import ScheduleError, retraining_schedule, schedule_name, stored_input
from workflow.schedule_status import schedule_statuses


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schedule", help="create, list or delete retraining schedules")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="a schedule that starts the pipeline with a stored input")
    create.add_argument("expression", metavar="EXPRESSION",
                        help='"rate(1 day)", "cron(0 3 ? * SUN *)" or "at(2030-01-01T03:00:00)"')
    create.add_argument("--input", type=Path, metavar="FILE",
                        help="the stored execution input (on AWS, default: the stack's schedule's)")
    create.add_argument("--timezone", default="UTC", help="time zone of the expression (default UTC)")
    create.add_argument("--name", help="schedule name (default <prefix>-retrain)")
    create.add_argument("--start-date", type=datetime.fromisoformat, metavar="ISO_TIME",
                        help="no firing before this time (default: rate schedules fire at once)")
    add_arguments(create)
    create.set_defaults(func=guarded(cmd_create, ScheduleError))
    listing = actions.add_parser("list", help="schedules, their next firing and the runs they started")
    add_arguments(listing)
    listing.set_defaults(func=guarded(cmd_list, ScheduleError))
    delete = actions.add_parser("delete", help="delete a schedule")
    delete.add_argument("name", metavar="NAME")
    delete.add_argument("--group", default="default", help="schedule group (default: default)")
    add_arguments(delete)
    delete.set_defaults(func=guarded(cmd_delete, ScheduleError))


def _prefix(target: Target) -> str:
    return target.resource_prefix or target.state_machine_arn.rpartition(":")[2].lower()


def scheduler_role(target: Target) -> str:
    """The role the schedule assumes: on AWS the stack's SchedulerRole, locally its namesake."""
    account = target.state_machine_arn.split(":")[4]
    if not target.on_aws:  # the local deployment creates the stack's roles under these names
        local_role = default_role_name(target.stack_name or DEFAULT_STACK_NAME)("SchedulerRole")
        return f"arn:aws:iam::{account}:role/{local_role}"
    from workflow.aws.changeset import physical_id

    role = physical_id(target.client("cloudformation"), target.stack_name, "SchedulerRole")
    if not role:
        raise TargetError("the stack has no SchedulerRole: deploy it with --schedule first")
    return f"arn:aws:iam::{account}:role/{role}"


def _input(args: argparse.Namespace, target: Target) -> dict[str, Any]:
    if args.input:
        document = check(load(args.input), str(args.input))
    elif target.on_aws:
        schedule = target.client("scheduler").get_schedule(Name=schedule_name(target.resource_prefix))
        document = check(stored_input(schedule["Target"]["Input"]), "the stack schedule's stored input")
    else:
        raise InputError("ValidationException: --input FILE is required on the local server "
                         "('deploy_workflow.py run --schedule ...' stores the run's own input)")
    if target.on_aws:
        check_for_stack(document, target.resource_prefix, str(args.input or "stored input"))
    return document


def put_schedule(target: Target, expression: str, document: dict[str, Any], *, timezone_name: str = "UTC",
                 name: str | None = None, start_date: datetime | None = None) -> str:
    """Create the schedule, or replace the one of that name; returns its ARN."""
    schedule = retraining_schedule(_prefix(target), expression, document, timezone=timezone_name,
                                   start_date=start_date)
    params = schedule.properties(target.state_machine_arn, scheduler_role(target))
    if name:
        params["Name"] = name
    scheduler = target.client("scheduler")
    try:
        return scheduler.create_schedule(**params)["ScheduleArn"]
    except scheduler.exceptions.ConflictException:
        return scheduler.update_schedule(**params)["ScheduleArn"]


def cmd_create(args: argparse.Namespace, target: Target) -> int:
    start = args.start_date
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    arn = put_schedule(target, args.expression, _input(args, target), timezone_name=args.timezone,
                       name=args.name, start_date=start)
    print(f"schedule {arn} starts {target.state_machine_arn} ({args.expression}, {args.timezone}) "
          f"on {target.where()}")
    return 0


def _when(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z") if value else "—"


def cmd_list(args: argparse.Namespace, target: Target) -> int:
    statuses = schedule_statuses(target.client("scheduler"), target.client("stepfunctions"))
    if not statuses:
        print(f"no schedules on {target.where()}")
    for status in statuses:
        print(f"{status.group}/{status.name}  {status.expression} ({status.timezone})  {status.state}  "
              f"next: {_when(status.next_firing)}")
        for execution in status.executions:
            print(f"    {_when(execution.start)}  {execution.status:<10} {execution.name}")
    return 0


def cmd_delete(args: argparse.Namespace, target: Target) -> int:
    target.client("scheduler").delete_schedule(Name=args.name, GroupName=args.group)
    print(f"deleted schedule {args.group}/{args.name} on {target.where()}")
    return 0
