"""The execution input schema: the default is valid, every bad field is named."""
from __future__ import annotations

import copy

import pytest

from workflow.execution_input import InputError, check
from workflow.pipeline.defaults import default_input

GOOD = default_input("s3://dog-breed-pipeline-local/dog-breed-pipeline/incoming/dogImages.zip")


def test_default_input_is_valid() -> None:
    check(GOOD)


def _with(change) -> dict:
    doc = copy.deepcopy(GOOD)
    change(doc)
    return doc


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda d: d.pop("endpoint_name"), "'endpoint_name' is a required property"),
        (lambda d: d.update(colour="blue"), "Additional properties are not allowed ('colour'"),
        (lambda d: d.update(quality_threshold=1.5), "quality_threshold: 1.5 is greater than the maximum"),
        (lambda d: d.update(dataset_uri="ftp://x/y.zip"), "dataset_uri: 'ftp://x/y.zip' does not match"),
        (lambda d: d["tuning"].update(max_jobs="4"), "tuning.max_jobs: '4' is not of type 'integer'"),
        (lambda d: d["training"]["hyperparameters"].update(epochs=4), "training.hyperparameters.epochs: 4 is not of type 'string'"),
        (lambda d: d["endpoint"].update(min_capacity=3), "endpoint.min_capacity: must not exceed"),
        (lambda d: d["tuning"].update(max_parallel_jobs=5), "tuning.max_parallel_jobs: must not exceed"),
        (lambda d: d.update(endpoint_name="bad_name!"), "endpoint_name"),
        (lambda d: d["tuning"].update(strategy="Hyperband", early_stopping="Auto"),
         "tuning.early_stopping: 'Off' was expected"),
        # s3:// prefixes on the local server as on AWS: a folder is no prefix.
        (lambda d: d.update(data_prefix="file:///tmp/data"), "data_prefix: 'file:///tmp/data' does not match"),
        (lambda d: d.update(output_prefix="/tmp/output"), "output_prefix: '/tmp/output' does not match"),
        (lambda d: d.update(output_prefix="s3://Bad_Bucket/x"), "output_prefix: 's3://Bad_Bucket/x' does not match"),
    ],
)
def test_bad_input_names_the_field(change, message: str) -> None:
    with pytest.raises(InputError) as err:
        check(_with(change))
    assert message in str(err.value)


def test_not_an_object() -> None:
    with pytest.raises(InputError, match="is not of type 'object'"):
        check([1, 2])
