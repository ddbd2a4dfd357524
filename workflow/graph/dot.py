"""Graphviz DOT text of a state graph, coloured by execution status when one is given."""
from __future__ import annotations

from workflow.graph import model as m
from workflow.graph.model import Edge, Graph, Node
from workflow.graph.status import ExecutionStatus
from workflow.graph.styles import (
    CATCH_COLOUR,
    LEGEND_ORDER,
    MARKER_COLOUR,
    PLAIN,
    STATUS_COLOURS,
    retry_text,
    status_text,
    subtitle,
)

#: Laid out with DejaVu Sans metrics (both engines know them); the SVG names wider-spread
#: fallbacks after it (svg_style), which are narrower, so text stays inside its box.
FONT = "DejaVu Sans"


def quote(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _state_node(node: Node, status: ExecutionStatus | None) -> str:
    # Plain labels, one line each (the pip-installed Graphviz reads no HTML-like labels);
    # svg_style sets the first line, the state's name, in bold.
    lines = [node.name, subtitle(node)]
    if retry_text(node):
        lines.append(retry_text(node))
    fill, border, text = PLAIN
    if status is not None:
        state = status.of(node.name)
        fill, border, text = STATUS_COLOURS[state.status]
        lines.append(status_text(state))
    width = "2.5" if node.type in ("Fail", "Succeed") else "1.6"
    attrs = (f'label={quote(chr(10).join(lines))}, shape=box, style="rounded,filled", '
             f'fillcolor="{fill}", color="{border}", fontcolor="{text}", penwidth=1.6, '
             f'tooltip={quote(node.comment or node.name)}, id={quote("state-" + node.name)}')
    if node.type in ("Fail", "Succeed"):
        attrs += f", peripheries=2, width={width}"
    return f"{node.id} [{attrs}];"


def _node(node: Node, status: ExecutionStatus | None) -> str:
    if node.kind == m.STATE:
        return _state_node(node, status)
    if node.kind in (m.START_MARKER, m.END_MARKER):
        return (f'{node.id} [label={quote(node.name)}, shape=ellipse, style=filled, '
                f'fillcolor="{MARKER_COLOUR}", fontcolor="white", color="{MARKER_COLOUR}", fontsize=10];')
    if node.kind == m.CATCH_TAG:
        return (f'{node.id} [label={quote(node.name)}, shape=box, style="rounded,dashed", '
                f'color="{CATCH_COLOUR}", fontcolor="{CATCH_COLOUR}", fontsize=9, height=0.25, '
                f'margin="0.08,0.02", class="catch-tag"];')
    if node.kind == m.EXIT:
        return f'{node.id} [label="", shape=point, width=0.12, color="{MARKER_COLOUR}"];'
    return (f"{node.id} [label={quote('missing state: ' + node.name)}, shape=box, "
            f'style="dashed", color="#d13212", fontcolor="#d13212"];')


def _edge(edge: Edge) -> str:
    attrs = []
    if edge.label:
        attrs.append(f"label={quote(edge.label)}")
    if edge.kind == m.CATCH:
        # Catch edges leave the ranking to the main flow, which keeps the happy path straight.
        attrs += [f'color="{CATCH_COLOUR}"', f'fontcolor="{CATCH_COLOUR}"', "style=dashed",
                  "constraint=false", "penwidth=1.2"]
    elif edge.kind == m.DEFAULT:
        attrs += ['style=dashed', 'color="#545b64"', 'fontcolor="#545b64"']
    elif edge.kind == m.BRANCH:
        attrs += ["style=dotted", 'color="#545b64"']
    elif edge.kind == m.CHOICE:
        attrs += ['color="#0073bb"', 'fontcolor="#0073bb"']
    return f"{edge.src} -> {edge.dst}" + (f" [{', '.join(attrs)}];" if attrs else ";")


def _cluster(graph: Graph, group: m.Group, status: ExecutionStatus | None, out: list[str], indent: str) -> None:
    title = group.label if group.kind == "branch" else f"{group.label} ({group.kind})"
    out.append(f"{indent}subgraph cluster_{group.id} {{")
    out.append(f'{indent}  label={quote(title)}; style="rounded,dashed"; color="#879596"; '
               f'fontcolor="#545b64"; fontsize=10;')
    _body(graph, group.id, status, out, indent + "  ")
    out.append(f"{indent}}}")


def _body(graph: Graph, group: str | None, status: ExecutionStatus | None, out: list[str], indent: str) -> None:
    for node in graph.children(group):
        out.append(indent + _node(node, status))
        if node.beside is not None:
            out.append(f"{indent}{{rank=same; {node.beside}; {node.id}}}")
    for sub in graph.subgroups(group):
        _cluster(graph, sub, status, out, indent)


def _legend(out: list[str]) -> None:
    """A row of small boxes, one per status colour, and the Catch edge style."""
    out.append('  subgraph cluster_legend {')
    out.append('    id="legend"; label="Legend"; labeljust=l; fontsize=9; fontcolor="#545b64"; '
               'style="rounded"; color="#d5dbdb";')
    names = []
    for index, name in enumerate(LEGEND_ORDER):
        fill, border, text = STATUS_COLOURS[name]
        names.append(f"legend{index}")
        out.append(f'    legend{index} [label={quote(name)}, shape=box, style="rounded,filled", '
                   f'fillcolor="{fill}", color="{border}", fontcolor="{text}", fontsize=9, '
                   'height=0.25, margin="0.08,0.02"];')
    out.append('    legend_catch_from [label="", shape=point, width=0.05, color="#ffffff"];')
    out.append('    legend_catch_to [label="Catch", shape=plaintext, fontsize=9, '
               f'fontcolor="{CATCH_COLOUR}"];')
    out.append(f'    legend_catch_from -> legend_catch_to [style=dashed, color="{CATCH_COLOUR}"];')
    out.append(f"    {{rank=same; {'; '.join(names)}; legend_catch_from; legend_catch_to}}")
    out.append("    " + " -> ".join(names) + " [style=invis];")
    out.append("  }")


def to_dot(graph: Graph, status: ExecutionStatus | None = None, title: str = "") -> str:
    """DOT text; with ``status``, each state is coloured and labelled by what happened."""
    out = ["digraph statemachine {",
           f'  graph [rankdir=TB, fontname="{FONT}", nodesep=0.35, ranksep=0.45, bgcolor="white", '
           f'label={quote(title)}, labelloc=t, fontsize=14, newrank=true];',
           f'  node [fontname="{FONT}", fontsize=11, margin="0.15,0.06"];',
           f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7, color="#545b64"];']
    _body(graph, None, status, out, "  ")
    for edge in graph.edges:
        out.append("  " + _edge(edge))
    if status is not None:
        _legend(out)
    out.append("}")
    return "\n".join(out) + "\n"
