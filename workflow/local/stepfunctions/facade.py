"""The typed interface other local services use to reach Step Functions.

A caller names who makes the call (the role a schedule assumes, a function's role):
the principal is part of every call so that authorization can be decided here, in
one place, instead of by each service that calls in. Nothing outside this package
reads the Step Functions store.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, cast

from workflow.local.access.caller import Caller, ServicePrincipal
from workflow.local.stepfunctions.naming import check_role

if TYPE_CHECKING:
    from workflow.local.context import ServerContext
    from workflow.local.stepfunctions.backend import StepFunctionsBackend


#: The session name of the role sessions EventBridge Scheduler opens.
SCHEDULER_SESSION = "EventBridgeScheduler"


@dataclass(frozen=True)
class StartExecutionRequest:
    state_machine_arn: str
    name: str
    input: str = "{}"


@dataclass(frozen=True)
class StartedExecution:
    execution_arn: str
    start_date: datetime


class StepFunctions(Protocol):
    def start_execution(self, caller: Caller, request: StartExecutionRequest) -> StartedExecution:
        """Start (or, for the same name and input while it runs, find) an execution; raises
        the Step Functions errors StartExecution raises."""
        ...


class LocalStepFunctions:
    def __init__(self, backend: StepFunctionsBackend) -> None:
        self._backend = backend

    def start_execution(self, caller: Caller, request: StartExecutionRequest) -> StartedExecution:
        ctx = self._backend.ctx
        if isinstance(caller, ServicePrincipal) and caller.role_arn is not None:
            check_role(caller.role_arn)
        # EventBridge Scheduler assumes the schedule's role and starts the execution with it:
        # the role must trust scheduler.amazonaws.com and allow states:StartExecution
        # ("Set up the execution role", EventBridge Scheduler User Guide).
        acting = ctx.service_sessions.acting(caller, SCHEDULER_SESSION)
        ctx.authorize(acting, "states:StartExecution", [request.state_machine_arn], service="stepfunctions")
        answer = self._backend.start_execution({
            "stateMachineArn": request.state_machine_arn, "name": request.name,
            "input": request.input})
        return StartedExecution(answer["executionArn"], answer["startDate"])


def step_functions(ctx: ServerContext) -> StepFunctions:
    """The Step Functions service of this server."""
    return LocalStepFunctions(cast("StepFunctionsBackend", ctx.backend("stepfunctions")))
