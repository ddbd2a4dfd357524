"""Deploy a template through a change set: show what changes, apply it, follow the stack events.

A change set that holds no change is the normal "nothing to do" answer: it is
deleted and the deploy ends without touching the stack.
"""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

NO_CHANGES = ("didn't contain changes", "No updates are to be performed")
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
FAILED = {"CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE",
          "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_FAILED", "IMPORT_ROLLBACK_COMPLETE"}


class DeployError(RuntimeError):
    pass


@dataclass
class DeployResult:
    stack_id: str
    changed: bool
    status: str
    changes: list[dict[str, Any]] = field(default_factory=list)


def stack_status(cfn: Any, stack_name: str) -> dict[str, Any] | None:
    try:
        return cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in exc.response["Error"].get("Message", ""):
            return None
        raise


def summarize(changes: list[dict[str, Any]]) -> list[str]:
    lines = []
    for change in changes:
        rc = change.get("ResourceChange", {})
        replace = rc.get("Replacement")
        tail = f" (replacement: {replace})" if replace and rc.get("Action") == "Modify" else ""
        lines.append(f"  {rc.get('Action', '?'):<8} {rc.get('LogicalResourceId', '?'):<40} "
                     f"{rc.get('ResourceType', '')}{tail}")
    return lines


def _wait_change_set(cfn: Any, name: str, stack: str, timeout: float, poll: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = cfn.describe_change_set(ChangeSetName=name, StackName=stack)
        if described["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return described
        if time.monotonic() > deadline:
            raise DeployError(f"change set {name} still {described['Status']} after {timeout:.0f} s")
        time.sleep(poll)


def _all_changes(cfn: Any, described: dict[str, Any], name: str, stack: str) -> list[dict[str, Any]]:
    changes = list(described.get("Changes", []))
    token = described.get("NextToken")
    while token:
        page = cfn.describe_change_set(ChangeSetName=name, StackName=stack, NextToken=token)
        changes.extend(page.get("Changes", []))
        token = page.get("NextToken")
    return changes


def follow_events(cfn: Any, stack_id: str, since: float, say: Callable[[str], None], *,
                  timeout: float, poll: float) -> str:
    """Print new stack events until the stack settles; return its final status."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while True:
        events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
        for event in reversed(events):
            if event["EventId"] in seen or event["Timestamp"].timestamp() < since - 1:
                continue
            seen.add(event["EventId"])
            reason = f" - {event['ResourceStatusReason']}" if event.get("ResourceStatusReason") else ""
            say(f"  {event['Timestamp']:%H:%M:%S} {event['ResourceStatus']:<20} "
                f"{event['LogicalResourceId']}{reason}")
        status = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
        if status in DONE or status in FAILED:
            return status
        if time.monotonic() > deadline:
            raise DeployError(f"stack {stack_id} still {status} after {timeout:.0f} s; it goes on in AWS")
        time.sleep(poll)


def deploy(cfn: Any, stack_name: str, template_url: str, parameters: dict[str, str], *,
           say: Callable[[str], None] = print, timeout: float = 3600.0, poll: float = 5.0,
           tags: dict[str, str] | None = None) -> DeployResult:
    existing = stack_status(cfn, stack_name)
    create = existing is None or existing["StackStatus"] == "REVIEW_IN_PROGRESS"
    if existing and existing["StackStatus"] == "ROLLBACK_COMPLETE":
        raise DeployError(f"stack {stack_name} is ROLLBACK_COMPLETE (its creation failed); "
                          "run destroy, then deploy again")
    name = f"deploy-{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:6]}"
    started = time.time()
    response = cfn.create_change_set(
        StackName=stack_name, ChangeSetName=name, TemplateURL=template_url,
        ChangeSetType="CREATE" if create else "UPDATE", Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
        Tags=[{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())],
        Description="deploy_workflow.py deploy")
    stack_id = response["StackId"]
    described = _wait_change_set(cfn, name, stack_name, timeout=min(timeout, 600), poll=poll)
    if described["Status"] == "FAILED":
        reason = described.get("StatusReason", "")
        cfn.delete_change_set(ChangeSetName=name, StackName=stack_name)
        if any(text in reason for text in NO_CHANGES):
            say(f"stack {stack_name} is up to date: nothing to change")
            return DeployResult(stack_id, False, existing["StackStatus"] if existing else "")
        raise DeployError(f"change set for {stack_name} failed: {reason}")
    changes = _all_changes(cfn, described, name, stack_name)
    say(f"{'creating' if create else 'updating'} stack {stack_name}: {len(changes)} change(s)")
    for line in summarize(changes):
        say(line)
    cfn.execute_change_set(ChangeSetName=name, StackName=stack_name)
    status = follow_events(cfn, stack_id, started, say, timeout=timeout, poll=poll)
    if status not in DONE:
        raise DeployError(f"stack {stack_name} ended {status}; the events above say which resource failed")
    say(f"stack {stack_name}: {status}")
    return DeployResult(stack_id, True, status, changes)


def outputs(cfn: Any, stack_name: str) -> dict[str, str]:
    stack = stack_status(cfn, stack_name)
    if stack is None:
        raise DeployError(f"ResourceNotFound: stack {stack_name} does not exist; run deploy first")
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def physical_id(cfn: Any, stack_name: str, logical_id: str) -> str | None:
    """The physical id (for a state machine: its ARN) of one resource of the stack, or None."""
    token = None
    while True:
        page = cfn.list_stack_resources(StackName=stack_name, **({"NextToken": token} if token else {}))
        for summary in page["StackResourceSummaries"]:
            if summary.get("LogicalResourceId") == logical_id:
                return summary.get("PhysicalResourceId") or None
        token = page.get("NextToken")
        if not token:
            return None
