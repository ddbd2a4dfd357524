"""StageData: fetch the dataset zip, check its layout, stage it once, write its manifest.

Event: ``{"dataset_uri": "https://|s3://|file://...zip", "data_prefix": "s3://|file://..."}``.
Returns: ``checksum, skipped, manifest_uri, dataset_uri, train_uri, valid_uri,
test_uri, num_classes, counts`` — the keys the Tune and Train states read.
Errors: ``DatasetError`` (bad archive, message names the entry), ``FetchError``.
"""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser
from aws_lambda_powertools.utilities.typing import LambdaContext

from stage_data.staging import stage_dataset

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class StageDataEvent(BaseModel):
    dataset_uri: str
    data_prefix: str
    execution_id: str | None = None


@logger.inject_lambda_context(correlation_id_path="execution_id", log_event=False)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
@event_parser(model=StageDataEvent)
def handler(event: StageDataEvent, context: LambdaContext) -> dict[str, Any]:
    result = stage_dataset(event.dataset_uri, event.data_prefix)
    logger.info("dataset staged", extra={k: result[k] for k in ("checksum", "skipped", "counts")})
    metrics.add_metric(name="DatasetSkipped" if result["skipped"] else "DatasetStaged", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="TrainImages", unit=MetricUnit.Count, value=result["counts"]["train"])
    return result
