"""The metric lines train.py prints, and the regexes that read them.

One line per epoch and one final test line, on stdout, exactly::

    epoch=3 train_loss=0.4100 train_accuracy=0.8500 valid_loss=0.5200 valid_accuracy=0.8300
    test_loss=0.5000 test_accuracy=0.8400

and, once training has ended, one line per built-in check (``checks``), 1 when it
found an issue and 0 when it did not::

    rule=VanishingGradient issues_found=0

and, when the model was registered in MLflow, its version::

    registered model version=7

Values have four decimals (``nan``/``inf`` when training diverged, which the
regexes deliberately do not match). Accuracies are correct/total over the
whole split, in [0, 1].

``metric_definitions.json`` beside this file is the single source of the
SageMaker ``MetricDefinitions`` (list of ``{"Name", "Regex"}``; the first
capture group is the value). The state machine, the local tuning jobs and
the CLI all read that file; tests check each regex against these lines.
"""
from __future__ import annotations

import json
from pathlib import Path

DEFINITIONS_FILE = Path(__file__).with_name("metric_definitions.json")


def epoch_line(epoch: int, train_loss: float, train_accuracy: float,
               valid_loss: float, valid_accuracy: float) -> str:
    return (f"epoch={epoch} train_loss={train_loss:.4f} train_accuracy={train_accuracy:.4f} "
            f"valid_loss={valid_loss:.4f} valid_accuracy={valid_accuracy:.4f}")


def test_line(test_loss: float, test_accuracy: float) -> str:
    return f"test_loss={test_loss:.4f} test_accuracy={test_accuracy:.4f}"


def rule_line(rule: str, issues_found: bool) -> str:
    return f"rule={rule} issues_found={int(issues_found)}"


def model_version_line(version: int) -> str:
    return f"registered model version={version}"


def metric_definitions() -> list[dict[str, str]]:
    """The SageMaker MetricDefinitions for the lines above."""
    return json.loads(DEFINITIONS_FILE.read_text(encoding="utf-8"))
