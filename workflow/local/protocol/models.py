"""botocore's service models, loaded once per process.

The protocol layer never describes an AWS API by hand: every route, member
location, type and error shape comes from the JSON models botocore ships.
"""
from __future__ import annotations

import functools
from typing import cast

import botocore.session
from botocore.model import NoShapeFoundError, OperationModel, ServiceModel, Shape


def botocore_session() -> botocore.session.Session:
    """The process's botocore session, shared with the ASL engine (which checks a definition's
    Task resources against the same models): each model is read once per process."""
    from workflow.engine.integrations.service_names import botocore_session as shared

    return shared()


@functools.lru_cache(maxsize=None)
def service_model(service: str) -> ServiceModel:
    """The model of a botocore service name ("stepfunctions", "lambda", ...)."""
    return botocore_session().get_service_model(service)


def operation_model(service: str, operation: str) -> OperationModel:
    return service_model(service).operation_model(operation)


def error_shape(service: str, code: str) -> Shape | None:
    """The modelled exception shape named ``code``, or None when the model has none."""
    try:
        shape = service_model(service).shape_for(code)
    except NoShapeFoundError:
        return None
    return shape if shape.metadata.get("exception") else None


def protocol(service: str) -> str:
    return cast("str", service_model(service).protocol)
