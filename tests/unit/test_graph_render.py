"""DOT, Mermaid, SVG and PNG output, and the ``graph`` command."""
from __future__ import annotations

import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from workflow.cli.main import main
from workflow.definition import DEFINITION_FILE
from workflow.graph import build_graph, execution_status, to_dot, to_mermaid
from workflow.graph.catches import SHARED_MIN
from workflow.graph.mermaid import escape
from workflow.graph.render import draw
from workflow.graph.styles import CATCH_COLOUR, STATUS_COLOURS

EVENTS = Path(__file__).resolve().parent.parent / "events"
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


@pytest.fixture
def no_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No native Graphviz on PATH: the pip-installed engine must draw."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("WORKFLOW_GRAPH_ENGINE", raising=False)
    assert shutil.which("dot") is None


def definition() -> dict:
    return json.loads((EVENTS / "graph_all_states.asl.json").read_text())


def history(name: str) -> list[dict]:
    return json.loads((EVENTS / name).read_text())


def dot_node_attrs(text: str, name: str) -> str:
    match = re.search(r'^\s*(n\d+) \[(.*id="state-' + re.escape(name) + r'".*)\];$', text, re.M)
    assert match, f"no node for {name}"
    return match.group(2)


def test_dot_is_structured_and_coloured_by_status() -> None:
    text = to_dot(build_graph(definition()), execution_status(history("graph_history_retry_caught.json")))
    assert text.startswith("digraph statemachine {") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    assert len(re.findall(r"subgraph cluster_g\d+", text)) == 4  # Parallel, its 2 branches, Map
    fill = {status: colours[0] for status, colours in STATUS_COLOURS.items()}
    assert f'fillcolor="{fill["caught"]}"' in dot_node_attrs(text, "Fetch")
    assert "2 retries" in dot_node_attrs(text, "Fetch")
    assert f'fillcolor="{fill["succeeded"]}"' in dot_node_attrs(text, "Recover")
    assert f'fillcolor="{fill["not reached"]}"' in dot_node_attrs(text, "Pause")
    catch = [line for line in text.splitlines() if "catch States.TaskFailed" in line]
    assert len(catch) == 1 and "style=dashed" in catch[0] and CATCH_COLOUR in catch[0]
    # The Choice label keeps its quotes, escaped for DOT.
    assert r'label="$.x >= $.threshold and not $.mode == \"dry \\\"run\\\" <now>\""' in text
    assert re.search(r"^  subgraph cluster_legend \{", text, re.M)


def test_dot_without_execution_has_no_status() -> None:
    text = to_dot(build_graph(definition()))
    assert "legend [" not in text and "not reached" not in text
    assert 'fillcolor="#ffffff"' in dot_node_attrs(text, "Fetch")


def test_mermaid_escapes_labels_and_styles_catch_edges() -> None:
    text = to_mermaid(build_graph(definition()), execution_status(history("graph_history_retry_caught.json")))
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    # Every quoted label holds no raw quote, bracket or angle bracket (only <br/> breaks).
    for label in re.findall(r'"([^"]*)"', text):
        assert not re.search(r'[\[\]{}()|`]', label), label
        assert not re.search(r"<(?!br/>)", label), label
    route_edges = [line for line in lines if re.match(r"\s*n\d+ -->\|", line)]
    assert any("#34;dry \\#34;run\\#34; #60;now#62;#34;" in line.replace("#92;", "\\") for line in route_edges)
    assert sum(1 for line in lines if line.strip().startswith("subgraph ")) == 4
    assert sum(1 for line in lines if line.strip() == "end") == 4
    catch_indexes = next(line for line in lines if line.strip().startswith("linkStyle")).split()[1]
    edge_lines = [line for line in lines if re.match(r"\s*n\d+ (-->|-\.->)", line)]
    assert [edge_lines[int(i)] for i in catch_indexes.split(",")] == [
        line for line in edge_lines if "catch" in line]
    fetch_id = next(re.match(r"\s*(n\d+)\(\"Fetch", line).group(1) for line in lines
                    if re.match(r"\s*n\d+\(\"Fetch", line))
    caught_class = next(line for line in lines if line.strip().startswith("class ") and line.endswith(" caught"))
    assert fetch_id in caught_class.split()[1].split(",")


def test_mermaid_escape() -> None:
    assert escape('a "b" #c <d>') == "a #34;b#34; #35;c #60;d#62;"


def test_svg_parses_and_shows_each_state_in_its_colour(no_dot: None) -> None:
    svg = draw(definition(), "svg", history("graph_history_running_map.json"), title="demo: RUNNING")
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    groups = {g.get("id"): g for g in root.iter(SVG + "g") if (g.get("id") or "").startswith("state-")}
    assert set(groups) >= {"state-Fetch", "state-Items", "state-Square", "state-Done"}

    def fill(name: str) -> str:
        shape = next(el for el in groups["state-" + name].iter() if el.tag in (SVG + "path", SVG + "polygon"))
        return shape.get("fill")

    assert fill("Fetch") == STATUS_COLOURS["succeeded"][0]
    assert fill("Items") == STATUS_COLOURS["running"][0]
    assert fill("Square") == STATUS_COLOURS["running"][0]
    assert fill("Done") == STATUS_COLOURS["not reached"][0]
    text = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    assert "1 retry" in text and "demo: RUNNING" in text and "Legend" in text


def _state_names(root: ET.Element) -> dict[str, ET.Element]:
    """State name -> its bold title text."""
    return {t.text or "": t for t in root.iter(SVG + "text") if t.get("font-weight") == "bold"}


def test_svg_of_the_real_pipeline_names_every_state_with_its_catches(no_dot: None) -> None:
    pipeline = json.loads(DEFINITION_FILE.read_text())
    root = ET.fromstring(draw(pipeline, "svg"))
    assert set(_state_names(root)) == set(pipeline["States"])
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    assert "$.train.test_accuracy_values[0] >= $.quality_threshold" in texts  # Choice conditions
    # Every state that catches into CleanUp: one short marked edge each, one entry into CleanUp.
    catching = _catching_into_cleanup(pipeline)
    assert texts.count("on error → CleanUp") == catching and f"caught from {catching} states" in texts
    catch_edges = [g for g in root.iter(SVG + "g") if g.get("class") == "edge"
                   and any(p.get("stroke") == CATCH_COLOUR for p in g.iter(SVG + "path"))]
    # Each state caught into by SHARED_MIN states or more is drawn the same way (CleanUp, and
    # DeleteEndpointConfig within the clean-up): a tag per catching state and one entry; any
    # other catch is one edge.
    into: dict[str, list[str]] = {}
    for name, state in pipeline["States"].items():
        for catch in state.get("Catch", []):
            into.setdefault(catch["Next"], []).append(name)
    assert len(catch_edges) == sum(len(set(srcs)) + 1 if len(set(srcs)) >= SHARED_MIN else len(srcs)
                                   for srcs in into.values())


def _catching_into_cleanup(pipeline: dict) -> int:
    return sum(1 for state in pipeline["States"].values()
               if any(catch["Next"] == "CleanUp" for catch in state.get("Catch", [])))


def test_every_catch_edge_in_full_on_request(no_dot: None) -> None:
    pipeline = json.loads(DEFINITION_FILE.read_text())
    text = draw(pipeline, "dot", catch_edges="all").decode()
    cleanup = re.search(r'^\s*(n\d+) \[.*id="state-CleanUp"', text, re.M).group(1)
    catching_all = sum(1 for state in pipeline["States"].values() for catch in state.get("Catch", [])
                       if catch["Next"] == "CleanUp" and catch["ErrorEquals"] == ["States.ALL"])
    assert len(re.findall(rf"-> {cleanup} \[label=\"catch States.ALL\"", text)) == catching_all
    # These two clean up after a failure of the model only (the others are redriven).
    assert len(re.findall(rf"-> {cleanup} \[label=\"catch SmokeTestFailed\"", text)) == 1
    assert len(re.findall(rf"-> {cleanup} \[label=\"catch SageMaker.AmazonSageMakerException\"", text)) == 1
    assert "on error" not in text
    root = ET.fromstring(draw(pipeline, "svg", catch_edges="all"))
    assert "on error → CleanUp" not in [t.text for t in root.iter(SVG + "text")]


@needs_dot
def test_native_dot_and_the_pip_engine_draw_the_same_states(monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = json.loads(DEFINITION_FILE.read_text())
    pictures = {}
    for engine in ("native", "wasm"):
        monkeypatch.setenv("WORKFLOW_GRAPH_ENGINE", engine)
        pictures[engine] = ET.fromstring(draw(pipeline, "svg", history("graph_history_failed.json")))
    assert set(_state_names(pictures["native"])) == set(_state_names(pictures["wasm"]))


def test_cli_writes_every_format(tmp_path: Path, capsys: pytest.CaptureFixture[str], no_dot: None) -> None:
    for suffix, check in ((".svg", lambda b: ET.fromstring(b).tag == SVG + "svg"),
                          (".png", _readable_png),
                          (".dot", lambda b: b.startswith(b"digraph")),
                          (".mmd", lambda b: b.startswith(b"flowchart TD"))):
        out = tmp_path / f"graph{suffix}"
        assert main(["graph", "--out", str(out)]) == 0
        assert check(out.read_bytes()), suffix


def _readable_png(data: bytes) -> bool:
    """A PNG whose picture has text in it (dark pixels), not empty boxes."""
    image = Image.open(io.BytesIO(data)).convert("L")
    dark = sum(image.histogram()[:100])
    return data.startswith(b"\x89PNG\r\n\x1a\n") and image.width > 1000 and dark > 20000


def test_cli_errors_name_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["graph", "--out", str(tmp_path / "g.txt")]) == 2
    assert "--out" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    assert main(["graph", "--definition", str(broken), "--out", str(tmp_path / "g.dot")]) == 2
    assert str(broken) in capsys.readouterr().err
    monkeypatch.setenv("PATH", str(tmp_path))  # no Graphviz on PATH
    monkeypatch.setenv("WORKFLOW_GRAPH_ENGINE", "native")
    assert main(["graph", "--out", str(tmp_path / "g.svg")]) == 2
    assert "Graphviz's 'dot'" in capsys.readouterr().err
    assert not (tmp_path / "g.svg").exists()
