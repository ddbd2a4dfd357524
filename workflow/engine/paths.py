"""JSONPath for ASL: Reference Paths by a small parser, everything else by jsonpath-ng.

Reference Paths (``$.a.b``, ``$['a b']``, ``$.list[3]``) are the only form the
specification allows in ResultPath and in Choice variables, and they are by far
the most common, so they get a hand-written parser that validates them and a fast
lookup. Paths with wildcards, slices, unions, recursive descent or filters are
handed to jsonpath-ng (its extended parser, for filters); such a path always
yields the list of its matches, as Step Functions does.

A path may also start at a workflow variable instead of the state input:
``$name.field[0]`` reads the variable ``name`` (developer guide, "Passing data
between states with variables": JSONPath fields reference variables as ``$name``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol

from .errors import runtime_error

_NAME_CHARS = re.compile(r"[^.\[\]\s*?@,:'\"()]+")
_INDEX = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile(r"\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*\"((?:[^\"\\]|\\.)*)\"\s*\]")


class PathError(ValueError):
    """A path that is not valid JSONPath (or not a Reference Path where one is required)."""


class PathNotFound(LookupError):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


_MISSING = object()
# A variable reference: ``$`` then a name (Unicode identifier characters).
_VARIABLE = re.compile(r"\$([^\W\d]\w*)")


class PathSources(Protocol):
    """Where a path may start besides the state input: the context object and variables."""

    def context(self) -> dict[str, Any]: ...

    def variable(self, name: str) -> Any: ...


@dataclass(frozen=True)
class JsonPath:
    text: str
    context: bool                      # starts with $$ (the context object)
    steps: tuple[str | int, ...] | None  # set for Reference Paths
    compiled: Any = None               # jsonpath-ng expression otherwise
    variable: str | None = None        # set for ``$name...`` (a workflow variable)

    def root(self, data: Any, sources: PathSources) -> Any:
        """The document this path starts from: input, context object or variable value."""
        if self.context:
            return sources.context()
        if self.variable is not None:
            try:
                return sources.variable(self.variable)
            except KeyError:
                raise PathNotFound(self.text) from None
        return data

    def resolve(self, data: Any, sources: PathSources) -> Any:
        """The value at this path, reading the context object or a variable when it says so."""
        return self.find(self.root(data, sources))

    def require(self, data: Any, sources: PathSources, problem: Callable[[], str]) -> Any:
        """``resolve``, where a path that finds nothing is a States.Runtime error that says
        ``problem()`` (each field words it as Step Functions does)."""
        try:
            return self.resolve(data, sources)
        except PathNotFound:
            raise runtime_error(problem()) from None

    @property
    def is_reference(self) -> bool:
        return self.steps is not None

    def find(self, data: Any) -> Any:
        """The value at this path; raises PathNotFound when a Reference Path matches nothing."""
        steps = self.steps
        if steps is not None:
            node = data
            for step in steps:
                if isinstance(step, str):
                    if type(node) is not dict:
                        raise PathNotFound(self.text)
                    node = node.get(step, _MISSING)
                    if node is _MISSING:
                        raise PathNotFound(self.text)
                else:
                    if type(node) is not list or step >= len(node):
                        raise PathNotFound(self.text)
                    node = node[step]
            return node
        return [match.value for match in self.compiled.find(data)]

    def exists(self, data: Any) -> bool:
        try:
            self.find(data)
        except PathNotFound:
            return False
        return True


def _parse_reference(body: str) -> tuple[str | int, ...] | None:
    """Steps of a Reference Path body (the part after ``$``), or None if it is not one."""
    steps: list[str | int] = []
    pos = 0
    while pos < len(body):
        char = body[pos]
        if char == ".":
            match = _NAME_CHARS.match(body, pos + 1)
            if not match:
                return None
            steps.append(match.group(0))
            pos = match.end()
        elif char == "[":
            match = _INDEX.match(body, pos)
            if match:
                steps.append(int(match.group(1)))
                pos = match.end()
                continue
            match = _QUOTED.match(body, pos)
            if not match:
                return None
            raw = match.group(1) if match.group(1) is not None else match.group(2)
            steps.append(re.sub(r"\\(.)", r"\1", raw))
            pos = match.end()
        else:
            return None
    return tuple(steps)


@lru_cache(maxsize=4096)
def parse_path(text: str) -> JsonPath:
    """Parse any ASL JSONPath (``$...`` or ``$$...``); raises PathError when invalid."""
    if not isinstance(text, str) or not text.startswith("$"):
        raise PathError(f"The value for the field must be a valid JSONPath: {text!r}")
    context = text.startswith("$$")
    variable = None if context else _VARIABLE.match(text)
    name = variable.group(1) if variable else None
    body = text[2:] if context else text[variable.end():] if variable else text[1:]
    steps = _parse_reference(body)
    if steps is not None:
        return JsonPath(text, context, steps, variable=name)
    try:
        from jsonpath_ng.ext import parse as jsonpath_parse

        compiled = jsonpath_parse("$" + body)
    except Exception as exc:  # noqa: BLE001 - jsonpath-ng raises several unrelated exception types
        raise PathError(f"Invalid JSONPath {text!r}: {exc}") from None
    return JsonPath(text, context, None, compiled, name)


def parse_reference_path(text: str) -> JsonPath:
    """Parse a path that must be a Reference Path (ResultPath, Choice Variable)."""
    path = parse_path(text)
    if not path.is_reference:
        raise PathError(f"{text!r} is not a valid Reference Path (no wildcards, filters or slices)")
    return path


def parse_result_path(text: str) -> JsonPath:
    """A ResultPath: a Reference Path into the state input (never a variable)."""
    path = parse_reference_path(text)
    if path.variable is not None or path.context:
        raise PathError(f"{text!r} must start with '$' followed by '.' or '[' (ResultPath writes into the input)")
    return path


def select(path_text: str, data: Any, context: Any = None) -> Any:
    """Apply a path to ``data`` (or to the context object for ``$$`` paths)."""
    path = parse_path(path_text)
    return path.find(context if path.context else data)


class ResultPathFailure(Exception):
    pass


def _shallow(node: Any) -> Any:
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return node


def merge_result(path_text: str, state_input: Any, result: Any) -> Any:
    """Place ``result`` at a Reference Path (ResultPath) of ``state_input``.

    Containers along the path are copied, the rest is shared: engine values are
    never mutated in place, so copying only the path keeps large inputs cheap.
    """
    steps = parse_reference_path(path_text).steps or ()
    if not steps:
        return result
    root = _shallow(state_input)
    node = root
    for index, step in enumerate(steps):
        last = index == len(steps) - 1
        if isinstance(step, str):
            if not isinstance(node, dict):
                raise ResultPathFailure(
                    f"Unable to apply step {step!r} of ResultPath {path_text!r}: not an object"
                )
            if last:
                node[step] = result
                break
            child = node.get(step)
            if child is None:
                child = {}
            elif not isinstance(child, (dict, list)):
                raise ResultPathFailure(
                    f"Unable to apply ResultPath {path_text!r}: field {step!r} is not an object"
                )
            node[step] = child = _shallow(child)
            node = child
        else:
            if not isinstance(node, list) or step >= len(node):
                raise ResultPathFailure(
                    f"Unable to apply ResultPath {path_text!r}: index {step} is out of range"
                )
            if last:
                node[step] = result
                break
            node[step] = child = _shallow(node[step])
            node = child
    return root
