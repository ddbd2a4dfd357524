"""Error classes on the wire: the code is the class name, the status the one the model gives."""
from __future__ import annotations

import pytest

from workflow.local.errors import ClientError, ServiceError
from workflow.local.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from workflow.local.lambda_.backend import ResourceConflictException
from workflow.local.lambda_.backend import ResourceNotFoundException as LambdaNotFound
from workflow.local.lambda_.invoker import RequestTooLargeException, TooManyRequestsException
from workflow.local.protocol import errors, query
from workflow.local.protocol.models import service_model
from workflow.local.sagemaker_runtime.backend import ModelError
from workflow.local.scheduler.errors import ConflictException
from workflow.local.scheduler.errors import ResourceNotFoundException as ScheduleNotFound


def wire(service: str, error: ServiceError) -> tuple[str, int]:
    """The code and HTTP status the service's protocol answers ``error`` with."""
    model = service_model(service)
    status = query.error_status(model, error) if model.protocol == "query" else errors.error_status(service, error)
    return error.code, status


@pytest.mark.parametrize(("service", "error_class", "status"), [
    ("iam", NoSuchEntity, 404), ("iam", EntityAlreadyExists, 409), ("iam", DeleteConflict, 409),
    ("iam", LimitExceeded, 409),
    ("lambda", LambdaNotFound, 404), ("lambda", ResourceConflictException, 409),
    ("lambda", RequestTooLargeException, 413), ("lambda", TooManyRequestsException, 429),
    ("scheduler", ScheduleNotFound, 404), ("scheduler", ConflictException, 409),
    ("sagemaker-runtime", ModelError, 424),
])
def test_a_modelled_error_answers_its_name_and_the_modelled_status(
        service: str, error_class: type[ClientError], status: int) -> None:
    assert wire(service, error_class("refused")) == (error_class.__name__, status)


def test_a_code_set_on_the_class_or_the_raise_wins_over_the_name() -> None:
    class Refused(ClientError):
        code = "AccessDenied"

    assert Refused("no").code == "AccessDenied"
    assert ClientError("no", code="ValidationError").code == "ValidationError"
    assert ClientError("no").code == ServiceError.code
