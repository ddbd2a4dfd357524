"""Nodes, edges and groups of an ASL definition, independent of how they are drawn.

Map and Parallel states become groups (clusters): the state's own node is the
group's entry, a small exit node is where its Next and Catch edges leave, and
the states of each branch (or of the item processor) sit inside.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workflow.graph.conditions import rule_text

#: Edge kinds, each drawn in its own style.
NEXT, CHOICE, DEFAULT, CATCH, BRANCH, START, END = (
    "next", "choice", "default", "catch", "branch", "start", "end")
#: Node kinds besides ASL states.
STATE, START_MARKER, END_MARKER, EXIT, MISSING = "state", "start", "end", "exit", "missing"
#: A collapsed catch: "on error → CleanUp" beside a state, "caught from N states" above it.
CATCH_TAG = "catch-tag"

_RESOURCE_PREFIX = "arn:aws:states:::"
DEFAULT_MAX_ATTEMPTS = 3  # ASL: MaxAttempts defaults to 3


@dataclass
class Node:
    id: str
    name: str
    type: str = ""
    kind: str = STATE
    group: str | None = None
    resource: str = ""
    retry: list[int] = field(default_factory=list)  # MaxAttempts of each retrier
    comment: str = ""
    beside: str | None = None  # a node to sit on the same rank as (a catch tag's state)


@dataclass
class Edge:
    src: str
    dst: str
    kind: str = NEXT
    label: str = ""


@dataclass
class Group:
    id: str
    label: str
    kind: str  # "Map", "Parallel" or "branch"
    parent: str | None = None
    state: str | None = None  # the Map/Parallel state's name


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    comment: str = ""

    def by_name(self, name: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == STATE and n.name == name]

    def states(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.kind == STATE]

    def children(self, group: str | None) -> list[Node]:
        return [n for n in self.nodes.values() if n.group == group]

    def subgroups(self, group: str | None) -> list[Group]:
        return [g for g in self.groups if g.parent == group]


class InvalidDefinition(ValueError):
    """The definition is not an ASL object with StartAt and States."""


def short_resource(resource: str) -> str:
    """``arn:aws:states:::sagemaker:createTrainingJob.sync`` -> ``sagemaker:createTrainingJob.sync``."""
    if resource.startswith(_RESOURCE_PREFIX):
        return resource[len(_RESOURCE_PREFIX):]
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] in ("lambda", "states"):  # function or activity ARN
        return f"{parts[2]}:{parts[6]}" if parts[2] == "lambda" else f"activity:{parts[6]}"
    return resource


class _Builder:
    def __init__(self) -> None:
        self.graph = Graph()
        self._count = 0

    def _id(self, prefix: str = "n") -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def node(self, **fields: Any) -> Node:
        node = Node(id=self._id(), **fields)
        self.graph.nodes[node.id] = node
        return node

    def edge(self, src: str, dst: str, kind: str = NEXT, label: str = "") -> None:
        self.graph.edges.append(Edge(src, dst, kind, label))

    def scope(self, definition: dict[str, Any], group: str | None, exit_id: str, where: str) -> str:
        """Add one States/StartAt scope; returns the id of its first state."""
        states = definition.get("States")
        start_at = definition.get("StartAt")
        if not isinstance(states, dict) or not isinstance(start_at, str):
            raise InvalidDefinition(f"{where} needs StartAt (a string) and States (an object)")
        entry: dict[str, str] = {}   # name -> node edges arrive at
        leave: dict[str, str] = {}   # name -> node its own edges leave from
        for name, spec in states.items():
            if not isinstance(spec, dict):
                raise InvalidDefinition(f"state {name!r} of {where} is not an object")
            entry[name], leave[name] = self.state(name, spec, group, where)
        missing: dict[str, str] = {}

        def target(name: str) -> str:
            if name in entry:
                return entry[name]
            if name not in missing:
                missing[name] = self.node(name=name, kind=MISSING, group=group).id
            return missing[name]

        for name, spec in states.items():
            self.edges_from(leave[name], spec, target, exit_id)
        return target(start_at)

    def edges_from(self, src: str, spec: dict[str, Any], target: Callable[[str], str], exit_id: str) -> None:
        """One state's transitions: its choices and default, Next or End, and its catchers."""
        kind = spec.get("Type")
        if kind == "Choice":
            for rule in spec.get("Choices", []):
                if isinstance(rule, dict) and "Next" in rule:
                    self.edge(src, target(rule["Next"]), CHOICE, rule_text(rule))
            if "Default" in spec:
                self.edge(src, target(spec["Default"]), DEFAULT, "Default")
        elif spec.get("End") or kind in ("Succeed", "Fail"):
            self.edge(src, exit_id, END)
        elif "Next" in spec:
            self.edge(src, target(spec["Next"]), NEXT)
        for catcher in spec.get("Catch", []) or []:
            if isinstance(catcher, dict) and "Next" in catcher:
                errors = ", ".join(catcher.get("ErrorEquals", []))
                self.edge(src, target(catcher["Next"]), CATCH, f"catch {errors}")

    def state(self, name: str, spec: dict[str, Any], group: str | None, where: str) -> tuple[str, str]:
        kind = spec.get("Type", "")
        retry = [int(r.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS)) for r in spec.get("Retry", []) or []
                 if isinstance(r, dict)]
        resource = short_resource(str(spec.get("Resource", ""))) if kind == "Task" else ""
        if kind not in ("Map", "Parallel"):
            node = self.node(name=name, type=kind, group=group, resource=resource, retry=retry,
                             comment=str(spec.get("Comment", "")))
            return node.id, node.id
        cluster = Group(self._id("g"), name, kind, group, name)
        self.graph.groups.append(cluster)
        head = self.node(name=name, type=kind, group=cluster.id, retry=retry,
                         comment=str(spec.get("Comment", "")))
        exit_node = self.node(name=f"{name} end", kind=EXIT, group=cluster.id)
        if kind == "Parallel":
            for index, branch in enumerate(spec.get("Branches", []) or [], start=1):
                sub = Group(self._id("g"), f"Branch {index}", "branch", cluster.id, name)
                self.graph.groups.append(sub)
                first = self.scope(branch, sub.id, exit_node.id, f"branch {index} of {name!r}")
                self.edge(head.id, first, BRANCH)
        else:
            processor = spec.get("ItemProcessor") or spec.get("Iterator") or {}
            first = self.scope(processor, cluster.id, exit_node.id, f"ItemProcessor of {name!r}")
            self.edge(head.id, first, BRANCH, "each item")
        return head.id, exit_node.id


def build_graph(definition: dict[str, Any]) -> Graph:
    """The graph of an ASL definition (a parsed statemachine.json)."""
    if not isinstance(definition, dict):
        raise InvalidDefinition("the definition is not a JSON object")
    builder = _Builder()
    builder.graph.comment = str(definition.get("Comment", ""))
    start = builder.node(name="Start", kind=START_MARKER)
    end = builder.node(name="End", kind=END_MARKER)
    first = builder.scope(definition, None, end.id, "the definition")
    builder.edge(start.id, first, START)
    # Keep the End marker last so renderers that follow insertion order draw it at the bottom.
    builder.graph.nodes[end.id] = builder.graph.nodes.pop(end.id)
    return builder.graph
