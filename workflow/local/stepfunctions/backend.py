"""The local Step Functions service: state machines and their executions.

State machines and executions are documents keyed by ARN; each execution's
history is an event log under its ARN, with the records of where its lanes stand
(``journal.py``). Executions run on the ASL engine (``runner.py``), whose Task
states call the services of this same server; they survive a restart of the
server, and a failed, aborted or timed-out one can be redriven (``redrive.py``).
"""
from __future__ import annotations

import dataclasses
import json
import os
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from workflow.engine import InvalidDefinition as EngineInvalid
from workflow.engine import parse_definition, validate_definition
from workflow.engine.limits import MAX_PAYLOAD_BYTES
from workflow.local.backend import Backend
from workflow.local.context import ServerContext
from workflow.local.errors import ClientError
from workflow.local.stepfunctions import redrive
from workflow.local.stepfunctions.errors import (
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionLimitExceeded,
    ExecutionNotRedrivable,
    InvalidDefinition,
    InvalidExecutionInput,
    MissingRequiredParameter,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
)
from workflow.local.stepfunctions.history import history_page
from workflow.local.stepfunctions.journal import EXECUTION
from workflow.local.stepfunctions.naming import (
    check_name,
    check_role,
    decode_token,
    encode_token,
    page_size,
    parse_arn,
)
from workflow.local.stepfunctions.runner import Runner

STATE_MACHINE = "sfn.state_machine"
#: The Step Functions limit on execution input and output.
MAX_PAYLOAD = MAX_PAYLOAD_BYTES
_SUMMARY = ("stateMachineArn", "name", "type", "creationDate")
_EXEC_SUMMARY = ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate",
                 "redriveCount", "redriveDate")
#: "Maximum open executions per account: 1,000,000 ... Exceeding this will cause an
#: ExecutionLimitExceeded error" (Step Functions service quotas); the variable lowers it.
OPEN_EXECUTIONS_QUOTA = "LOCAL_SFN_MAX_OPEN_EXECUTIONS"
DEFAULT_OPEN_EXECUTIONS = 1_000_000


def _now() -> datetime:
    return datetime.now(timezone.utc)


#: Per stored kind: the resource type its ARNs name, and the error AWS answers for an ARN
#: that names none.
_KINDS: dict[str, tuple[str, type[ClientError], str]] = {
    STATE_MACHINE: ("stateMachine", StateMachineDoesNotExist, "State Machine"),
    EXECUTION: ("execution", ExecutionDoesNotExist, "Execution"),
}


def _missing(kind: str, arn: str) -> ClientError:
    _, error, name = _KINDS[kind]
    return error(f"{name} Does Not Exist: '{arn}'")


class StepFunctionsBackend(Backend):
    service = "stepfunctions"
    shutdown_first = True

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.runner = Runner(ctx)
        self._parsed: dict[str, Any] = {}
        self._parsed_lock = threading.Lock()

    def start(self) -> None:
        self.runner.listen_to_jobs()
        self.runner.resume_interrupted()

    def shutdown(self) -> None:
        self.runner.shutdown()

    # -- definitions ------------------------------------------------------
    def _machine(self, definition: str) -> Any:
        """The parsed definition, cached: StartExecution should not re-parse each time."""
        with self._parsed_lock:
            machine = self._parsed.get(definition)
        if machine is None:
            try:
                machine = parse_definition(definition)
            except EngineInvalid as exc:
                raise InvalidDefinition(f"Invalid State Machine Definition: '{exc}'") from None
            with self._parsed_lock:
                if len(self._parsed) > 256:
                    self._parsed.clear()
                self._parsed[definition] = machine
        return machine

    @staticmethod
    def _diagnostics(definition: str) -> list[dict[str, Any]]:
        return [dataclasses.asdict(d) for d in validate_definition(definition)]

    def _check_definition(self, definition: str) -> None:
        errors = [d for d in self._diagnostics(definition) if d["severity"] == "ERROR"]
        if errors:
            detail = ", ".join(f"{d['code']}: {d['message']}" for d in errors)
            raise InvalidDefinition(f"Invalid State Machine Definition: '{detail}'")

    def _stored(self, kind: str, arn: str) -> dict[str, Any]:
        """The state machine or execution (``kind``) stored under ``arn``."""
        parse_arn(arn, _KINDS[kind][0])
        doc = self.ctx.store.get(kind, arn)
        if doc is None:
            raise _missing(kind, arn)
        return doc

    # -- state machines ---------------------------------------------------
    def create_state_machine(self, params: dict[str, Any]) -> dict[str, Any]:
        name = check_name(params["name"])
        check_role(params["roleArn"])
        self._check_definition(params["definition"])
        arn = self.ctx.arn("states", f"stateMachine:{name}")
        doc = {
            "stateMachineArn": arn, "name": name, "status": "ACTIVE",
            "definition": params["definition"], "roleArn": params["roleArn"],
            "type": params.get("type", "STANDARD"), "creationDate": _now(),
            "loggingConfiguration": params.get("loggingConfiguration") or {"level": "OFF",
                                                                           "includeExecutionData": False},
            "tracingConfiguration": params.get("tracingConfiguration") or {"enabled": False},
            "revisionId": str(uuid.uuid4()),
        }
        if not self.ctx.store.insert(STATE_MACHINE, arn, doc):
            existing = self.ctx.store.get(STATE_MACHINE, arn) or {}
            # AWS: creating the same machine twice is idempotent; a different one conflicts.
            if (existing.get("definition"), existing.get("roleArn"), existing.get("type")) != (
                doc["definition"], doc["roleArn"], doc["type"]
            ):
                raise StateMachineAlreadyExists(f"State Machine Already Exists: '{arn}'")
            doc = existing
        self.runner.prepare(doc["definition"])
        return {"stateMachineArn": arn, "creationDate": doc["creationDate"]}

    def describe_state_machine(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._stored(STATE_MACHINE, params["stateMachineArn"])

    def describe_state_machine_for_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        execution = self._stored(EXECUTION, params["executionArn"])
        return {
            "stateMachineArn": execution["stateMachineArn"], "name": execution["_stateMachineName"],
            "definition": execution["_definition"], "roleArn": execution["_roleArn"],
            "updateDate": execution["startDate"],
        }

    def update_state_machine(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["stateMachineArn"]
        self._stored(STATE_MACHINE, arn)
        fields = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
        change = {k: params[k] for k in fields if params.get(k) is not None}
        if not change:
            raise MissingRequiredParameter(
                "Either the definition, the roleArn, the loggingConfiguration or the "
                "tracingConfiguration must be specified")
        if "definition" in change:
            self._check_definition(change["definition"])
        if "roleArn" in change:
            check_role(change["roleArn"])
        update_date = _now()
        revision = str(uuid.uuid4())

        def apply(doc: dict[str, Any]) -> None:
            doc.update(change, updateDate=update_date, revisionId=revision)

        if self.ctx.store.update(STATE_MACHINE, arn, apply) is None:
            raise _missing(STATE_MACHINE, arn)
        if "definition" in change:
            self.runner.prepare(change["definition"])
        return {"updateDate": update_date, "revisionId": revision}

    def delete_state_machine(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["stateMachineArn"]
        parse_arn(arn, "stateMachine")
        # Idempotent as on AWS; running executions finish on the definition they started with.
        self.ctx.store.delete(STATE_MACHINE, arn)
        return {}

    def list_state_machines(self, params: dict[str, Any]) -> dict[str, Any]:
        machines = self.ctx.store.list(STATE_MACHINE)
        start = decode_token(params.get("nextToken")) or 0
        if not isinstance(start, int):
            start = 0
        size = page_size(params.get("maxResults"))
        page = machines[start:start + size]
        answer: dict[str, Any] = {
            "stateMachines": [{k: m[k] for k in _SUMMARY} for m in page]}
        if start + size < len(machines):
            answer["nextToken"] = encode_token(start + size)
        return answer

    def validate_state_machine_definition(self, params: dict[str, Any]) -> dict[str, Any]:
        diagnostics = self._diagnostics(params["definition"])
        limit = params.get("maxResults") or 100
        failed = any(d["severity"] == "ERROR" for d in diagnostics)
        return {"result": "FAIL" if failed else "OK", "diagnostics": diagnostics[:limit],
                "truncated": len(diagnostics) > limit}

    # -- executions -------------------------------------------------------
    def start_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        machine_doc = self._stored(STATE_MACHINE, params["stateMachineArn"])
        name = check_name(params.get("name") or str(uuid.uuid4()))
        raw_input: str = params["input"] if params.get("input") is not None else "{}"
        if len(raw_input.encode()) > MAX_PAYLOAD:
            raise InvalidExecutionInput(
                f"The input exceeds the maximum size of {MAX_PAYLOAD} bytes")
        try:
            execution_input = json.loads(raw_input)
        except json.JSONDecodeError as exc:
            raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc}'") from None
        machine = self._machine(machine_doc["definition"])
        arn = self.ctx.arn("states", f"execution:{machine_doc['name']}:{name}")
        doc = {
            "executionArn": arn, "stateMachineArn": machine_doc["stateMachineArn"],
            "name": name, "status": "RUNNING", "startDate": _now(), "input": raw_input,
            "inputDetails": {"included": True}, "redriveCount": 0,
            "_stateMachineName": machine_doc["name"], "_definition": machine_doc["definition"],
            "_roleArn": machine_doc["roleArn"], "_journaled": True,
        }
        if self.ctx.store.get(EXECUTION, arn) is None:
            self._check_open_executions()
        if not self.ctx.store.insert(EXECUTION, arn, doc):
            existing = self.ctx.store.get(EXECUTION, arn) or {}
            # The name is an idempotency key while the execution runs: the same input gets the
            # same execution. A closed execution, or another input, is ExecutionAlreadyExists (AWS).
            if existing.get("input") != raw_input or existing.get("status") != "RUNNING":
                raise ExecutionAlreadyExists(f"Execution Already Exists: '{arn}'")
            return {"executionArn": arn, "startDate": existing["startDate"]}
        self.runner.start(doc, machine, execution_input)
        return {"executionArn": arn, "startDate": doc["startDate"]}

    def describe_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        doc = self._stored(EXECUTION, params["executionArn"])
        if doc.get("output") is not None:
            doc["outputDetails"] = {"included": True}
        doc.update(self._redrivability(doc).fields)
        return doc

    def _redrivability(self, doc: dict[str, Any]) -> redrive.Redrivability:
        if doc["status"] in ("RUNNING", "SUCCEEDED"):  # no need to count events
            return redrive.redrivability(doc, events=0, machine_exists=True, now=_now())
        return redrive.redrivability(
            doc, events=self.ctx.store.event_count(doc["executionArn"]),
            machine_exists=self.ctx.store.get(STATE_MACHINE, doc["stateMachineArn"]) is not None, now=_now())

    def _check_open_executions(self) -> None:
        quota = int(os.environ.get(OPEN_EXECUTIONS_QUOTA) or DEFAULT_OPEN_EXECUTIONS)
        if self.runner.running_count() >= quota:
            raise ExecutionLimitExceeded(
                f"The maximum number of running executions ({quota}) has been reached. Running executions "
                "must end or be stopped before a new execution can be started.")

    def redrive_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["executionArn"]
        doc = self._stored(EXECUTION, arn)
        token = params.get("clientToken")
        now = _now()
        earlier = redrive.answered(doc, token, now)
        if earlier is not None:
            # The same request again: the same answer, whatever the execution does now.
            return {"redriveDate": earlier}
        eligibility = self._redrivability(doc)
        if eligibility.reason is not None:
            raise ExecutionNotRedrivable(f"{eligibility.reason.value}: '{arn}'")
        self._check_open_executions()
        closed_status = doc["status"]

        def reopen(current: dict[str, Any]) -> None:
            if current["status"] != closed_status:
                return  # a concurrent redrive got there first
            current.update(status="RUNNING", redriveCount=current.get("redriveCount", 0) + 1, redriveDate=now)
            for key in ("stopDate", "output", "error", "cause", "outputDetails"):
                current.pop(key, None)
            redrive.remember(current, token, now)

        reopened = self.ctx.store.update(EXECUTION, arn, reopen)
        if reopened is None or reopened.get("redriveDate") != now:
            raise ExecutionNotRedrivable(f"{redrive.Reason.RUNNING.value}: '{arn}'")
        # The definition the execution started with, even if the state machine changed since:
        # "Redriven executions use the same state machine definition" (API reference).
        self.runner.redrive(reopened, self._machine(reopened["_definition"]))
        return {"redriveDate": now}

    def list_executions(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("stateMachineArn")
        if not arn:
            raise MissingRequiredParameter("stateMachineArn is required")
        self._stored(STATE_MACHINE, arn)
        status = params.get("statusFilter")
        redriven = params.get("redriveFilter")
        docs = [d for d in self.ctx.store.list(EXECUTION)
                if d["stateMachineArn"] == arn and (status is None or d["status"] == status)
                and (redriven is None or (d.get("redriveCount", 0) > 0) == (redriven == "REDRIVEN"))]
        # Newest first, as AWS lists them; the token is the last key returned.
        docs.sort(key=_exec_key, reverse=True)
        after = decode_token(params.get("nextToken"))
        if after is not None:
            after = tuple(after)
            docs = [d for d in docs if _exec_key(d) < after]
        size = page_size(params.get("maxResults"))
        page = docs[:size]
        answer: dict[str, Any] = {
            "executions": [{k: d[k] for k in _EXEC_SUMMARY if d.get(k) is not None}
                           for d in page]}
        if len(docs) > size:
            answer["nextToken"] = encode_token(list(_exec_key(page[-1])))
        return answer

    def get_execution_history(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["executionArn"]
        self._stored(EXECUTION, arn)
        return history_page(
            self.ctx.store, arn, max_results=page_size(params.get("maxResults")),
            token=params.get("nextToken"), reverse=bool(params.get("reverseOrder")),
            include_data=params.get("includeExecutionData", True),
        )

    def stop_execution(self, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["executionArn"]
        doc = self._stored(EXECUTION, arn)
        if doc["status"] == "RUNNING":
            self.runner.stop(arn, params.get("error"), params.get("cause"))
            doc = self._stored(EXECUTION, arn)
        return {"stopDate": doc.get("stopDate") or _now()}


def _exec_key(doc: dict[str, Any]) -> tuple[str, str]:
    return (doc["startDate"].isoformat(), doc["executionArn"])
