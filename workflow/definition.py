"""statemachine.json and its ``${Placeholders}``: the one definition both runtimes deploy.

Step Functions fills placeholders from ``DefinitionSubstitutions`` by plain text
replacement inside the definition's JSON strings. ``render`` does exactly the
same locally, so the local server and AWS run byte-identical definitions, and
``substitutions`` builds the values both sides pass.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
DEFINITION_FILE = ROOT / "statemachine.json"
INPUT_SCHEMA_FILE = ROOT / "statemachine.input.schema.json"
METRIC_DEFINITIONS_FILE = ROOT / "training_src" / "metric_definitions.json"

#: MlflowTrackingUri when nothing is tracked (a substitution value is never empty).
TRACKING_OFF = "none"

PLACEHOLDER = re.compile(r"\$\{([A-Za-z][A-Za-z0-9]*)\}")

#: Every placeholder of statemachine.json and what fills it.
PLACEHOLDERS = {
    "ResourcePrefix": "prefix of every SageMaker resource name (IAM policies are scoped to it)",
    "MetricDefinitions": "training_src/metric_definitions.json, as a JSON string",
    "StageDataFunctionArn": "ARN of the stage_data Lambda function",
    "SmokeTestFunctionArn": "ARN of the smoke_test Lambda function",
    "PromoteModelFunctionArn": "ARN of the promote_model Lambda function",
    "SageMakerRoleArn": "execution role of training jobs and models",
    "TrainingImage": "PyTorch training container image URI",
    "InferenceImage": "PyTorch inference container image URI",
    "RuleEvaluatorImage": "SageMaker Debugger rule evaluator image URI",
    "SourceDirUri": "URI of sourcedir.tar.gz (training_src/ packaged)",
    "DebuggerSupported": "\"true\" when the training image can run the SageMaker Debugger hook, else \"false\"",
    "MlflowTrackingUri": "the MLflow tracking server jobs log to (TRACKING_OFF: none)",
}


class MissingSubstitution(ValueError):
    """A placeholder of the definition has no value (or a value names no placeholder)."""


#: A substitution's value: a string, or a CloudFormation intrinsic that resolves to one.
_Value = TypeVar("_Value")

def template_text() -> str:
    return DEFINITION_FILE.read_text(encoding="utf-8")


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def metric_definitions() -> list[dict[str, str]]:
    return json.loads(METRIC_DEFINITIONS_FILE.read_text(encoding="utf-8"))


def json_string_body(value: str) -> str:
    """``value`` escaped to sit inside a JSON string literal (the quotes left off)."""
    return json.dumps(value)[1:-1]


def substitutions(**values: _Value) -> dict[str, _Value | str]:
    """The DefinitionSubstitutions map: the given values plus MetricDefinitions.

    MetricDefinitions holds JSON (quotes and backslashes), so it is escaped for
    its place inside a JSON string; the state machine reads it back with
    ``States.StringToJson``.
    """
    out: dict[str, _Value | str] = dict(values)
    out["MetricDefinitions"] = json_string_body(json.dumps(metric_definitions(), separators=(",", ":")))
    return out


def render(values: dict[str, str], text: str | None = None) -> str:
    """The definition with every placeholder replaced, as Step Functions does it."""
    text = template_text() if text is None else text
    wanted = placeholders(text)
    missing = sorted(wanted - values.keys())
    if missing:
        raise MissingSubstitution(f"no value for placeholder(s) {', '.join(missing)} of statemachine.json")
    unknown = sorted(values.keys() - wanted)
    if unknown:
        raise MissingSubstitution(f"substitution(s) {', '.join(unknown)} match no placeholder of statemachine.json")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def load_rendered(values: dict[str, str]) -> dict[str, Any]:
    return json.loads(render(values))
