"""The metric lines train.py prints and the one MetricDefinitions file that reads them."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

import metric_lines

EPOCH = metric_lines.epoch_line(3, 0.41, 0.8512, 0.52, 0.83)
TEST = metric_lines.test_line(0.5, 0.84)


def test_lines_have_the_documented_format():
    assert EPOCH == ("epoch=3 train_loss=0.4100 train_accuracy=0.8512 valid_loss=0.5200 "
                     "valid_accuracy=0.8300")
    assert TEST == "test_loss=0.5000 test_accuracy=0.8400"


@pytest.mark.parametrize("name, line, value", [
    ("train:loss", EPOCH, "0.4100"), ("train:accuracy", EPOCH, "0.8512"),
    ("valid:loss", EPOCH, "0.5200"), ("valid:accuracy", EPOCH, "0.8300"),
    ("test:loss", TEST, "0.5000"), ("test:accuracy", TEST, "0.8400"),
])
def test_each_regex_reads_its_value_from_the_printed_line(name, line, value):
    regex = {d["Name"]: d["Regex"] for d in metric_lines.metric_definitions()}[name]
    match = re.search(regex, line)
    assert match and match.group(1) == value


@pytest.mark.parametrize("name, other", [
    ("valid:loss", TEST), ("test:loss", EPOCH), ("train:loss", TEST), ("test:accuracy", EPOCH),
])
def test_regexes_do_not_read_the_other_line(name, other):
    regex = {d["Name"]: d["Regex"] for d in metric_lines.metric_definitions()}[name]
    assert re.search(regex, other) is None


def test_definitions_are_sagemaker_shaped():
    definitions = metric_lines.metric_definitions()
    assert {d["Name"] for d in definitions} >= {"train:loss", "valid:loss", "valid:accuracy",
                                                  "test:loss", "test:accuracy"}
    for d in definitions:
        assert set(d) == {"Name", "Regex"} and re.compile(d["Regex"]).groups == 1


def test_diverged_values_are_not_read_as_numbers():
    regex = {d["Name"]: d["Regex"] for d in metric_lines.metric_definitions()}["valid:loss"]
    assert re.search(regex, metric_lines.epoch_line(1, float("nan"), 0, float("inf"), 0)) is None
