"""statemachine.json's placeholders and their rendering."""
from __future__ import annotations

import json

import pytest

from workflow import definition

VALUES = {name: f"value-of-{name}" for name in definition.PLACEHOLDERS if name != "MetricDefinitions"}


def test_every_placeholder_is_documented() -> None:
    assert definition.placeholders(definition.template_text()) == set(definition.PLACEHOLDERS)


def test_rendered_definition_is_json_and_carries_the_metric_regexes() -> None:
    rendered = definition.load_rendered(definition.substitutions(**VALUES))
    prepare = rendered["States"]["Prepare"]["Parameters"]
    # The state machine reads this string back with States.StringToJson.
    assert json.loads(prepare["metric_definitions_json"]) == definition.metric_definitions()
    assert "${" not in json.dumps(rendered)


def test_missing_and_unknown_substitutions_are_named() -> None:
    values = definition.substitutions(**VALUES)
    del values["TrainingImage"]
    with pytest.raises(definition.MissingSubstitution, match="TrainingImage"):
        definition.render(values)
    with pytest.raises(definition.MissingSubstitution, match="Bogus"):
        definition.render({**definition.substitutions(**VALUES), "Bogus": "x"})


def test_every_state_has_a_comment() -> None:
    states = json.loads(definition.template_text())["States"]
    assert [name for name, state in states.items() if not state.get("Comment", "").strip()] == []
