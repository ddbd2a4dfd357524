"""The state graph of a definition: every state type, Choice conditions, Catch edges, groups."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from workflow.definition import DEFINITION_FILE
from workflow.graph import build_graph, rule_text
from workflow.graph import model as m
from workflow.graph.model import InvalidDefinition, short_resource

EVENTS = Path(__file__).resolve().parent.parent / "events"


@pytest.fixture(scope="module")
def all_states() -> m.Graph:
    return build_graph(json.loads((EVENTS / "graph_all_states.asl.json").read_text()))


@pytest.fixture(scope="module")
def pipeline() -> m.Graph:
    return build_graph(json.loads(DEFINITION_FILE.read_text()))


def edges(graph: m.Graph, src: str, kind: str | None = None) -> list[tuple[str, str, str]]:
    """(kind, target name, label) of the edges leaving the state ``src``."""
    names = {n.id: n.name for n in graph.nodes.values()}
    ids = {n.id for n in graph.by_name(src)}
    group = next((g for g in graph.groups if g.state == src and g.kind != "branch"), None)
    if group is not None:  # Map/Parallel edges leave from the group's exit node
        ids |= {n.id for n in graph.children(group.id) if n.kind == m.EXIT}
    return [(e.kind, names[e.dst], e.label) for e in graph.edges
            if e.src in ids and (kind is None or e.kind == kind)]


@pytest.mark.parametrize(("rule", "text"), [
    ({"Variable": "$.x", "NumericGreaterThanEqualsPath": "$.threshold"}, "$.x >= $.threshold"),
    ({"Variable": "$.s", "StringEquals": "InService"}, '$.s == "InService"'),
    ({"Variable": "$.n", "NumericLessThan": 3}, "$.n < 3"),
    ({"Variable": "$.b", "BooleanEquals": True}, "$.b == true"),
    ({"Variable": "$.t", "TimestampGreaterThan": "2026-01-01T00:00:00Z"}, '$.t > "2026-01-01T00:00:00Z"'),
    ({"Variable": "$.p", "IsPresent": False}, "$.p is absent"),
    ({"Variable": "$.p", "IsNull": True}, "$.p is null"),
    ({"Variable": "$.name", "StringMatches": "log-*"}, '$.name matches "log-*"'),
    ({"And": [{"Variable": "$.a", "NumericEquals": 1},
              {"Or": [{"Variable": "$.b", "IsString": True}, {"Variable": "$.c", "IsNumeric": False}]}]},
     "$.a == 1 and ($.b is a string or $.c is not numeric)"),
    ({"Not": {"Variable": "$.m", "StringEquals": "dry"}}, 'not $.m == "dry"'),
    ({"Condition": "{% $states.input.x > 1 %}"}, "$states.input.x > 1"),
    ({"Condition": "{% $x > 1 %}", "Assign": {"status": "big", "n": "{% $n + 1 %}"}}, '$x > 1 / assign status = "big", n = $n + 1'),
    ({"Variable": "$.x", "IsNull": True, "Assign": {"seen.$": "$.x"}}, "$.x is null / assign seen = $.x"),
    ({"Not": {"Condition": "{% $x %}"}}, "not $x"),
])
def test_rule_text_reads_like_the_condition(rule: dict, text: str) -> None:
    assert rule_text(rule) == text


def test_every_state_type_becomes_a_node(all_states: m.Graph) -> None:
    types = {n.name: n.type for n in all_states.states()}
    assert types == {"Init": "Pass", "Fetch": "Task", "Route": "Choice", "Pause": "Wait", "Fan": "Parallel",
                     "Left": "Pass", "Right": "Task", "Items": "Map", "Square": "Pass", "Recover": "Pass",
                     "Done": "Succeed", "Broken": "Fail"}
    fetch = all_states.by_name("Fetch")[0]
    assert fetch.resource == "lambda:invoke" and fetch.retry == [2]
    assert all_states.by_name("Right")[0].resource == "lambda:right"


def test_choice_branches_default_and_loop(all_states: m.Graph) -> None:
    assert edges(all_states, "Route") == [
        ("choice", "Fan", '$.x >= $.threshold and not $.mode == "dry \\"run\\" <now>"'),
        ("choice", "Items", '$.y is absent or $.name matches "log-*"'),
        ("default", "Pause", "Default"),
    ]
    assert edges(all_states, "Pause") == [("next", "Route", "")]


def test_catch_edges_name_their_errors(all_states: m.Graph) -> None:
    assert edges(all_states, "Fetch", m.CATCH) == [("catch", "Recover", "catch States.TaskFailed, Lambda.Unknown")]
    assert edges(all_states, "Items", m.CATCH) == [("catch", "Broken", "catch States.ALL")]


def test_map_and_parallel_are_nested_groups(all_states: m.Graph) -> None:
    by_state = {(g.state, g.kind): g for g in all_states.groups}
    fan, items = by_state[("Fan", "Parallel")], by_state[("Items", "Map")]
    branches = [g for g in all_states.groups if g.parent == fan.id]
    assert [g.label for g in branches] == ["Branch 1", "Branch 2"]
    assert [n.name for n in all_states.children(branches[0].id)] == ["Left"]
    assert [n.name for n in all_states.children(branches[1].id)] == ["Right"]
    assert {n.name for n in all_states.children(items.id) if n.kind == m.STATE} == {"Items", "Square"}
    assert edges(all_states, "Fan", m.BRANCH) == [("branch", "Left", ""), ("branch", "Right", "")]
    assert edges(all_states, "Items", m.NEXT) == [("next", "Done", "")]
    # a branch's last state leads to the group's exit, not to the End marker
    assert edges(all_states, "Left") == [("end", "Fan end", "")]


def test_start_and_end_markers(all_states: m.Graph) -> None:
    start = [n for n in all_states.nodes.values() if n.kind == m.START_MARKER]
    assert len(start) == 1
    assert [(e.kind, all_states.nodes[e.dst].name) for e in all_states.edges if e.src == start[0].id] == [
        ("start", "Init")]
    end = next(n for n in all_states.nodes.values() if n.kind == m.END_MARKER)
    into_end = sorted(all_states.nodes[e.src].name for e in all_states.edges if e.dst == end.id)
    assert into_end == ["Broken", "Done"]


def test_real_pipeline_has_the_endpoint_wait_loop_and_cleanup_catches(pipeline: m.Graph) -> None:
    assert ("default", "WaitForEndpoint", "Default") in edges(pipeline, "EndpointReady")
    assert ("choice", "RegisterScalableTarget", '$.endpoint_status.status == "InService" and '
            '$.endpoint_status.config == $.names.endpoint_config') in edges(pipeline, "EndpointReady")
    assert ("choice", "EndpointTimedOut", "$.run.endpoint_checks.count >= $.endpoint.max_checks") in edges(
        pipeline, "EndpointReady")
    assert edges(pipeline, "WaitForEndpoint") == [("next", "DescribeEndpoint", "")]
    assert ("choice", "CreateModel", "$.train.test_accuracy_values[0] >= $.quality_threshold") in edges(
        pipeline, "QualityGate")
    catchers = {src.name for src in pipeline.states() if edges(pipeline, src.name, m.CATCH)
                and edges(pipeline, src.name, m.CATCH)[0][1] == "CleanUp"}
    assert {"StageData", "Tune", "Train", "CreateEndpoint", "DescribeEndpoint", "SmokeTest"} <= catchers
    assert edges(pipeline, "DeleteModel", m.CATCH) == [("catch", "PipelineFailed", "catch States.ALL")]


def test_unknown_target_is_drawn_as_missing() -> None:
    graph = build_graph({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})
    assert [n.name for n in graph.nodes.values() if n.kind == m.MISSING] == ["Nowhere"]


@pytest.mark.parametrize("bad", [[], {"States": {}}, {"StartAt": "A", "States": {"A": 3}}])
def test_bad_definition_names_what_is_wrong(bad: object) -> None:
    with pytest.raises(InvalidDefinition):
        build_graph(bad)  # type: ignore[arg-type]


def test_short_resource() -> None:
    assert short_resource("arn:aws:states:::sagemaker:createTrainingJob.sync") == "sagemaker:createTrainingJob.sync"
    assert short_resource("arn:aws:states:us-east-1:123456789012:activity:work") == "activity:work"
