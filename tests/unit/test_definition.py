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


def test_only_the_debugger_variant_of_train_carries_debugger_fields() -> None:
    states = json.loads(definition.template_text())["States"]
    debugger_fields = {"DebugHookConfig", "DebugRuleConfigurations", "ProfilerConfig", "ProfilerRuleConfigurations",
                       "TensorBoardOutputConfig"}
    assert not debugger_fields & states["Train"]["Parameters"].keys()
    assert {"DebugHookConfig", "DebugRuleConfigurations", "ProfilerConfig"} <= states["TrainWithDebugger"]["Parameters"].keys()
    # Everything else is the same job, and both read the checks into the same result.
    plain = {k: v for k, v in states["TrainWithDebugger"]["Parameters"].items() if k not in debugger_fields}
    assert plain == states["Train"]["Parameters"]
    built_in = states["Train"]["ResultSelector"]
    assert states["TrainWithDebugger"]["ResultSelector"] == {**built_in, "debugger_rules.$": "$.DebugRuleEvaluationStatuses"}
    names = {m["Name"] for m in definition.metric_definitions()}
    for rule, path in built_in["rules"].items():
        assert f"rule:{rule.removesuffix('.$')}" in names and rule.removesuffix(".$") in path


@pytest.mark.parametrize(("supported", "asked", "first_work"), [
    ("false", True, "DebuggerUnavailable"), ("false", False, "StageData"), ("true", True, "StageData")])
def test_debugger_is_refused_before_any_work_where_it_cannot_run(supported: str, asked: bool, first_work: str) -> None:
    from workflow.engine import run_execution

    rendered = definition.load_rendered(definition.substitutions(**{**VALUES, "DebuggerSupported": supported}))
    seen: list[str] = []

    def sink(event: dict) -> None:
        if event["type"].endswith("StateEntered"):
            seen.append(event["stateEnteredEventDetails"]["name"])

    result = run_execution(rendered, {"endpoint_name": "dogs-endpoint", "diagnostics": {"sagemaker_debugger": asked}},
                           sink=sink)
    assert seen[3] == first_work, seen
    if first_work == "DebuggerUnavailable":
        assert result.status == "FAILED" and result.error == "DebuggerUnavailable"
        assert "smdebug" in result.cause
