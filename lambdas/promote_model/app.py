"""PromoteModel: the model version this run deployed becomes the registry's ``champion``.

Event: ``{"model_versions": [7], "execution_arn", "endpoint_name"}`` (``model_versions``
is what the final training job reported: empty when it registered nothing).
Returns ``{"promoted", "model", "version", "alias", "reason"}``. The tracking server
is ``MLFLOW_TRACKING_URI`` (empty: nothing is tracked, nothing to promote).
"""
from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from promote_model.registry import promote

logger = Logger()
tracer = Tracer()
TRACKING_URI = os.environ.get("MLFLOW_TRACKING_URI", "")
if TRACKING_URI not in ("", "none"):  # "none": the stack tracks nothing
    # Imported during the environment's initialisation (seconds), and only when there is
    # a tracking server: without one the function does nothing.
    from mlflow.tracking import MlflowClient

    client: Any = MlflowClient(tracking_uri=TRACKING_URI)
else:
    client = None


class PromoteEvent(BaseModel):
    model_versions: list[float] = []
    execution_arn: str
    endpoint_name: str


@logger.inject_lambda_context(correlation_id_path="execution_arn")
@tracer.capture_lambda_handler
@event_parser(model=PromoteEvent)
def handler(event: PromoteEvent, context: LambdaContext) -> dict[str, Any]:
    if client is None:
        return {"promoted": False, "reason": "no MLflow tracking server is configured"}
    if not event.model_versions:
        return {"promoted": False, "reason": "the training job registered no model version"}
    result = promote(client, int(event.model_versions[0]), event.execution_arn, event.endpoint_name)
    logger.info("model promoted", extra=result)
    return result
