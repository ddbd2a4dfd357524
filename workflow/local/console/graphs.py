"""``graph.svg`` and ``status.json``: an execution (or state machine) drawn from its public history."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from workflow.graph import GraphvizMissing, build_graph, execution_status
from workflow.graph.catches import COLLAPSED, collapse_shared_catches
from workflow.graph.dot import to_dot
from workflow.graph.execution import load_execution
from workflow.graph.model import InvalidDefinition
from workflow.graph.render import render
from workflow.local.console.aws import client

Answer = tuple[int, dict[str, str], bytes]


def _first(query: Mapping[str, Any], key: str) -> str | None:
    value = query.get(key)
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    return value or None


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps({"__type": code, "message": message}).encode()


def graph_answer(route: str, query: Mapping[str, Any], endpoint_url: str) -> Answer:
    execution, machine = _first(query, "execution"), _first(query, "stateMachine")
    if not execution and not (machine and route == "graph.svg"):
        # status.json needs a history, so only graph.svg takes a state machine
        return _error(400, "ValidationException", "give execution=ARN (or stateMachine=ARN for graph.svg)")
    sfn = client("stepfunctions", endpoint_url)
    try:
        if execution:
            record = load_execution(sfn, execution)
            definition, events = record.definition, record.events
            title = ""
        else:
            description = sfn.describe_state_machine(stateMachineArn=machine)
            definition, events, title = json.loads(description["definition"]), None, ""
        status = execution_status(events) if events is not None else None
        if route == "status.json" and status is not None:
            document = {"status": status.status, "error": status.error, "cause": status.cause,
                        "states": {name: asdict(s) for name, s in status.states.items()}}
            return 200, {"Content-Type": "application/json", "Cache-Control": "no-store"}, json.dumps(document).encode()
        graph = collapse_shared_catches(build_graph(definition), _first(query, "catchEdges") or COLLAPSED)
        svg = render(to_dot(graph, status, title), "svg")
    except ClientError as err:
        error = err.response.get("Error", {})
        code = error.get("Code", "ServiceError")
        return _error(int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400),
                      code, error.get("Message", ""))
    except (BotoCoreError, LookupError, InvalidDefinition, ValueError) as err:
        return _error(400, "ValidationException", str(err))
    except GraphvizMissing as err:
        return _error(501, "GraphvizMissing", str(err))
    return 200, {"Content-Type": "image/svg+xml", "Cache-Control": "no-store"}, svg
