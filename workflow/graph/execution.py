"""Read what the graph of one execution needs through the public Step Functions API."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class ExecutionRecord:
    description: dict[str, Any]   # DescribeExecution
    definition: dict[str, Any]    # the state machine definition the execution ran
    events: list[dict[str, Any]]  # GetExecutionHistory, oldest first


class ExecutionNotFound(LookupError):
    pass


def resolve_execution_arn(sfn: Any, arn_or_name: str) -> str:
    """An execution ARN as given, or the ARN of the newest execution with that name."""
    if arn_or_name.startswith("arn:"):
        return arn_or_name
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            pages = sfn.get_paginator("list_executions").paginate(
                stateMachineArn=machine["stateMachineArn"])
            for executions in pages:
                for execution in executions["executions"]:
                    if execution["name"] == arn_or_name:
                        return execution["executionArn"]
    raise ExecutionNotFound(f"ResourceNotFound: no execution named {arn_or_name!r} in any state machine")


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(
            executionArn=execution_arn, includeExecutionData=True):
        events.extend(page["events"])
    return events


def definition_for(sfn: Any, description: dict[str, Any]) -> dict[str, Any]:
    """The definition this execution ran (the version it started with, where the API has it)."""
    try:
        machine = sfn.describe_state_machine_for_execution(executionArn=description["executionArn"])
    except sfn.exceptions.ClientError as err:  # an API without the call: take the machine's
        if err.response.get("Error", {}).get("Code") not in ("UnknownOperationException",
                                                              "InvalidAction"):
            raise
        machine = sfn.describe_state_machine(stateMachineArn=description["stateMachineArn"])
    return json.loads(machine["definition"])


def load_execution(sfn: Any, arn_or_name: str) -> ExecutionRecord:
    arn = resolve_execution_arn(sfn, arn_or_name)
    description = sfn.describe_execution(executionArn=arn)
    return ExecutionRecord(description, definition_for(sfn, description), history(sfn, arn))
