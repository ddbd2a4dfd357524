"""The predefined ``States.*`` error names and the exception that carries a state failure."""
from __future__ import annotations

from enum import Enum


class StatesError(str, Enum):
    """Error names reserved by the Amazon States Language specification."""

    ALL = "States.ALL"
    HEARTBEAT_TIMEOUT = "States.HeartbeatTimeout"
    TIMEOUT = "States.Timeout"
    TASK_FAILED = "States.TaskFailed"
    PERMISSIONS = "States.Permissions"
    RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
    PARAMETER_PATH_FAILURE = "States.ParameterPathFailure"
    QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
    BRANCH_FAILED = "States.BranchFailed"
    NO_CHOICE_MATCHED = "States.NoChoiceMatched"
    INTRINSIC_FAILURE = "States.IntrinsicFailure"
    EXCEED_TOLERATED_FAILURE_THRESHOLD = "States.ExceedToleratedFailureThreshold"
    ITEM_READER_FAILED = "States.ItemReaderFailed"
    RESULT_WRITER_FAILED = "States.ResultWriterFailed"
    RUNTIME = "States.Runtime"
    DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"

    def __str__(self) -> str:
        return self.value


# "States.ALL ... can't catch the States.DataLimitExceeded terminal error type and
# runtime error types" (Step Functions developer guide, "Handling errors").
NOT_MATCHED_BY_WILDCARDS = frozenset({StatesError.RUNTIME.value, StatesError.DATA_LIMIT_EXCEEDED.value})
# States.Runtime is never retried nor caught, even when named explicitly.
UNCATCHABLE = frozenset({StatesError.RUNTIME.value})


class FailureError(Exception):
    """A state failed with an ASL error name and a cause string."""

    def __init__(self, error: str | None, cause: str | None = None) -> None:
        # A Fail state may leave its Error out: the error is then null, as in AWS.
        super().__init__(f"{error}: {cause}" if cause else str(error))
        self.error = None if error is None else str(error)
        self.cause = cause


class ExecutionStopped(BaseException):
    """Unwinds every branch when the execution is stopped, timed out or over its history limit.

    A BaseException so that ``except Exception`` in integration code never swallows it.
    """


def runtime_error(cause: str) -> FailureError:
    return FailureError(StatesError.RUNTIME.value, cause)
