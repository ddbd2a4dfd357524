"""Mermaid flowchart text of a state graph; renders in GitHub Markdown (```mermaid blocks)."""
from __future__ import annotations

from workflow.graph import model as m
from workflow.graph.model import Graph, Node
from workflow.graph.status import ExecutionStatus
from workflow.graph.styles import CATCH_COLOUR, MARKER_COLOUR, STATUS_COLOURS, retry_text, status_text, subtitle

# Characters that Mermaid would read as syntax (quotes end a label, '#' starts an
# entity, brackets and pipes delimit shapes and edge labels, '<' '>' '&' are HTML)
# are written as Mermaid's numeric entity codes, e.g. '#34;' for '"'.
_SPECIAL = set('"#&<>`|[]{}();\\*_~%')


def escape(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label."""
    return "".join(f"#{ord(ch)};" if ch in _SPECIAL or ord(ch) < 32 else ch for ch in text)


def _label(lines: list[str]) -> str:
    return '"' + "<br/>".join(escape(line) for line in lines if line) + '"'


def _class_name(status: str) -> str:
    return status.replace(" ", "_")


def _node(node: Node, status: ExecutionStatus | None) -> str:
    if node.kind == m.START_MARKER or node.kind == m.END_MARKER:
        return f"{node.id}(({_label([node.name])}))"
    if node.kind == m.EXIT:
        return f'{node.id}((" "))'
    if node.kind == m.CATCH_TAG:
        return f"{node.id}([{_label([node.name])}])"
    if node.kind == m.MISSING:
        return f"{node.id}[{_label(['missing state: ' + node.name])}]"
    lines = [node.name, subtitle(node), retry_text(node)]
    if status is not None:
        lines.append(status_text(status.of(node.name)))
    label = _label(lines)
    if node.type == "Choice":
        return f"{node.id}{{{{{label}}}}}"
    if node.type in ("Succeed", "Fail"):
        return f"{node.id}[[{label}]]"
    return f"{node.id}({label})"


def _body(graph: Graph, group: str | None, status: ExecutionStatus | None, out: list[str], indent: str) -> None:
    for node in graph.children(group):
        out.append(indent + _node(node, status))
    for sub in graph.subgroups(group):
        title = sub.label if sub.kind == "branch" else f"{sub.label} ({sub.kind})"
        out.append(f"{indent}subgraph {sub.id}[{_label([title])}]")
        out.append(f"{indent}  direction TB")
        _body(graph, sub.id, status, out, indent + "  ")
        out.append(f"{indent}end")


def _arrow(edge: m.Edge) -> str:
    arrow = "-.->" if edge.kind in (m.CATCH, m.DEFAULT, m.BRANCH) else "-->"
    if edge.label:
        return f"{edge.src} {arrow}|{_label([edge.label])}| {edge.dst}"
    return f"{edge.src} {arrow} {edge.dst}"


def to_mermaid(graph: Graph, status: ExecutionStatus | None = None, title: str = "") -> str:
    """A ``flowchart TD`` with one class per status and catch edges in orange."""
    out = []
    if title:
        out += ["---", f"title: {escape(title)}", "---"]
    out.append("flowchart TD")
    _body(graph, None, status, out, "  ")
    catch_links = []
    for index, edge in enumerate(graph.edges):
        out.append("  " + _arrow(edge))
        if edge.kind == m.CATCH:
            catch_links.append(str(index))
    if catch_links:
        out.append(f"  linkStyle {','.join(catch_links)} stroke:{CATCH_COLOUR},color:{CATCH_COLOUR}")
    markers = [n.id for n in graph.nodes.values() if n.kind in (m.START_MARKER, m.END_MARKER, m.EXIT)]
    out.append(f"  classDef marker fill:{MARKER_COLOUR},stroke:{MARKER_COLOUR},color:#ffffff")
    out.append(f"  class {','.join(markers)} marker")
    if status is not None:
        members: dict[str, list[str]] = {}
        for node in graph.states():
            members.setdefault(status.of(node.name).status, []).append(node.id)
        for name, (fill, border, text) in STATUS_COLOURS.items():
            out.append(f"  classDef {_class_name(name)} fill:{fill},stroke:{border},color:{text},stroke-width:2px")
        for name, ids in members.items():
            out.append(f"  class {','.join(ids)} {_class_name(name)}")
    return "\n".join(out) + "\n"
