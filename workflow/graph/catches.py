"""Catch edges to a shared clean-up state, drawn short.

When many states catch into one state (the pipeline's CleanUp), their long dashed
edges cross the whole picture. Collapsed, each catching state gets one short marked
edge to a small "on error → CleanUp" tag beside it, and the clean-up state one edge
from a single entry that counts them. ``all`` draws every edge as it is.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from workflow.graph import model as m
from workflow.graph.model import Edge, Graph, Node

COLLAPSED, ALL = "collapsed", "all"
MODES = (COLLAPSED, ALL)
#: A state caught into by at least this many states is a shared clean-up.
SHARED_MIN = 3


def collapse_shared_catches(graph: Graph, mode: str = COLLAPSED) -> Graph:
    if mode not in MODES:
        raise ValueError(f"catch edges: {mode!r} is not one of {', '.join(MODES)}")
    if mode == ALL:
        return graph
    sources: dict[str, list[Edge]] = defaultdict(list)
    for edge in graph.edges:
        if edge.kind == m.CATCH:
            sources[edge.dst].append(edge)
    shared = {dst for dst, edges in sources.items() if len({e.src for e in edges}) >= SHARED_MIN}
    if not shared:
        return graph
    nodes = dict(graph.nodes)
    edges: list[Edge] = []
    tags: dict[tuple[str, str], str] = {}
    for edge in graph.edges:
        if edge.kind != m.CATCH or edge.dst not in shared:
            edges.append(edge)
            continue
        key = (edge.src, edge.dst)
        if key in tags:  # one marked edge per state, whatever its catchers
            continue
        target = nodes[edge.dst]
        tag = Node(id=f"{edge.src}_catch", name=f"on error → {target.name}", kind=m.CATCH_TAG,
                   group=nodes[edge.src].group, beside=edge.src)
        nodes[tag.id] = tag
        tags[key] = tag.id
        edges.append(Edge(edge.src, tag.id, m.CATCH, ""))
    for dst in shared:
        count = len({src for src, target in tags if target == dst})
        entry = Node(id=f"{dst}_caught", name=f"caught from {count} states", kind=m.CATCH_TAG,
                     group=nodes[dst].group, beside=dst)
        nodes[entry.id] = entry
        edges.append(Edge(entry.id, dst, m.CATCH, ""))
    return replace(graph, nodes=nodes, edges=edges)
