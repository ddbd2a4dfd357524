"""The state graph of an ASL definition, optionally coloured by an execution's history.

``build_graph`` turns a definition into nodes, edges and groups; ``execution_status``
reads a GetExecutionHistory event list; ``to_dot``, ``to_mermaid`` and ``render``
(SVG through Graphviz, native or pip-installed; PNG from the SVG) draw them.
"""
from __future__ import annotations

from workflow.graph.conditions import rule_text
from workflow.graph.dot import to_dot
from workflow.graph.engines import GraphvizMissing
from workflow.graph.mermaid import to_mermaid
from workflow.graph.model import Edge, Graph, Group, Node, build_graph
from workflow.graph.render import draw, render, render_file
from workflow.graph.status import StateStatus, execution_status

__all__ = [
    "Edge", "Graph", "GraphvizMissing", "draw", "Group", "Node", "StateStatus", "build_graph",
    "execution_status", "render", "render_file", "rule_text", "to_dot", "to_mermaid",
]
