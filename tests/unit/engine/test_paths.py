"""JSONPath: Reference Paths, general paths through jsonpath-ng, ResultPath placement."""
from __future__ import annotations

import pytest

from workflow.engine.paths import (
    PathError,
    PathNotFound,
    ResultPathFailure,
    merge_result,
    parse_path,
    parse_reference_path,
)

DATA = {"a": {"b": [10, {"c": "deep"}]}, "with space": 1, "it's": 2, "list": [{"v": 1}, {"v": 5}]}

FOUND = [
    ("$", DATA),
    ("$.a.b[0]", 10),
    ("$.a.b[1].c", "deep"),
    ("$['with space']", 1),
    ("$[\"it's\"]", 2),
    ("$.a['b'][1]['c']", "deep"),
    ("$.list[*].v", [1, 5]),
    ("$..c", ["deep"]),
    ("$.list[?(@.v > 2)].v", [5]),
    ("$.list[-1:]", [{"v": 5}]),
]


@pytest.mark.parametrize("path,expected", FOUND)
def test_find(path: str, expected) -> None:
    assert parse_path(path).find(DATA) == expected


@pytest.mark.parametrize("path", ["$.missing", "$.a.b[5]", "$.a.b.c", "$['with space'].x", "$.list[0].v.w"])
def test_reference_path_not_found(path: str) -> None:
    with pytest.raises(PathNotFound):
        parse_path(path).find(DATA)


@pytest.mark.parametrize("path,reference", [
    ("$", True), ("$.a.b", True), ("$['x y'][3]", True), ("$$.Execution.Id", True),
    ("$.a[*]", False), ("$..x", False), ("$.a[?(@.x)]", False), ("$.a[0:2]", False), ("$.a[0,1]", False),
])
def test_reference_path_classification(path: str, reference: bool) -> None:
    assert parse_path(path).is_reference is reference


@pytest.mark.parametrize("path", ["a.b", "", "$.a[", "$.a]", "$[?(@.x >> )]", "$.a b"])
def test_invalid_paths(path: str) -> None:
    with pytest.raises(PathError):
        parse_path(path)


def test_result_path_must_be_a_reference_path() -> None:
    with pytest.raises(PathError):
        parse_reference_path("$.a[*].b")


def test_context_paths_are_marked() -> None:
    assert parse_path("$$.Map.Item.Value").context and not parse_path("$.x").context


def test_merge_result_copies_only_the_path() -> None:
    source = {"keep": {"big": [1, 2, 3]}, "x": {"y": 1}}
    merged = merge_result("$.x.z", source, 5)
    assert merged == {"keep": {"big": [1, 2, 3]}, "x": {"y": 1, "z": 5}}
    assert source == {"keep": {"big": [1, 2, 3]}, "x": {"y": 1}}, "the input must not change"
    assert merged["keep"] is source["keep"]


def test_merge_result_into_array_element() -> None:
    assert merge_result("$.l[1]", {"l": [0, 0]}, 9) == {"l": [0, 9]}


@pytest.mark.parametrize("path,data", [("$.a.b", {"a": 3}), ("$.a", [1]), ("$.l[4]", {"l": []})])
def test_merge_result_failures(path: str, data) -> None:
    with pytest.raises(ResultPathFailure):
        merge_result(path, data, 1)
