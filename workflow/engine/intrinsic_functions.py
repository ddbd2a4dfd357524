"""The intrinsic functions of the specification, evaluated over a parsed call tree.

Argument errors raise States.IntrinsicFailure, the name the specification reserves
for "an intrinsic function failed to evaluate".
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import random
import re
import uuid
from typing import Any, Callable, cast

from .errors import FailureError, StatesError
from .intrinsic_parser import Call, Literal, Node, PathArg
from .paths import PathNotFound, parse_path

_MAX_STRING = 10_000     # Base64Encode/Decode and Hash accept at most 10,000 characters
_MAX_RANGE_ITEMS = 1_000  # ArrayRange produces at most 1,000 items
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _fail(name: str, message: str) -> FailureError:
    return FailureError(StatesError.INTRINSIC_FAILURE.value, f"Invalid arguments in {name}: {message}")


def _is_int(value: Any) -> bool:
    return type(value) is int or (type(value) is float and value.is_integer())


def _need(name: str, args: list[Any], count: int | tuple[int, int]) -> None:
    low, high = (count, count) if isinstance(count, int) else count
    if not low <= len(args) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        raise _fail(name, f"expected {expected} arguments, got {len(args)}")


def _string_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return json.dumps(value)
    raise TypeError


def _format(name: str, args: list[Any], rng: random.Random) -> str:
    if not args or not isinstance(args[0], str):
        raise _fail(name, "the first argument must be a template string")
    template, values = args[0], list(args[1:])
    out: list[str] = []
    used = 0
    i = 0
    while i < len(template):
        char = template[i]
        if char == "\\" and i + 1 < len(template) and template[i + 1] in "{}\\'":
            out.append(template[i + 1])
            i += 2
            continue
        if template.startswith("{}", i):
            if used >= len(values):
                raise _fail(name, "the template has more placeholders than arguments")
            try:
                out.append(_string_of(values[used]))
            except TypeError:
                raise _fail(name, "arguments must be strings, numbers, booleans or null") from None
            used += 1
            i += 2
            continue
        out.append(char)
        i += 1
    if used != len(values):
        raise _fail(name, "the number of arguments does not match the number of placeholders")
    return "".join(out)


def _string_to_json(name: str, args: list[Any], rng: random.Random) -> Any:
    _need(name, args, 1)
    if not isinstance(args[0], str):
        raise _fail(name, "the argument must be a string")
    try:
        return json.loads(args[0]) if args[0].strip() else None
    except ValueError as exc:
        raise _fail(name, f"the string is not valid JSON ({exc})") from None


def _json_to_string(name: str, args: list[Any], rng: random.Random) -> str:
    _need(name, args, 1)
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _array(name: str, args: list[Any], rng: random.Random) -> list[Any]:
    return list(args)


def _array_arg(name: str, value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(name, "the first argument must be an array")
    return value


def _array_partition(name: str, args: list[Any], rng: random.Random) -> list[Any]:
    _need(name, args, 2)
    items, size = _array_arg(name, args[0]), args[1]
    if not _is_int(size) or size <= 0:
        raise _fail(name, "the chunk size must be a positive integer")
    size = int(size)
    return [items[i:i + size] for i in range(0, len(items), size)]


def _json_equal(left: Any, right: Any) -> bool:
    """JSON equality: true is not 1, unlike Python's ==."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_json_equal(a, b) for a, b in zip(left, right, strict=False))
    return cast("bool", left == right)


def _array_contains(name: str, args: list[Any], rng: random.Random) -> bool:
    _need(name, args, 2)
    return any(_json_equal(item, args[1]) for item in _array_arg(name, args[0]))


def _array_range(name: str, args: list[Any], rng: random.Random) -> list[Any]:
    _need(name, args, 3)
    if not all(_is_int(arg) for arg in args):
        raise _fail(name, "start, end and step must be integers")
    start, end, step = (int(arg) for arg in args)
    if step == 0:
        raise _fail(name, "step must not be 0")
    values = list(range(start, end + (1 if step > 0 else -1), step))
    if len(values) > _MAX_RANGE_ITEMS:
        raise _fail(name, f"the range has more than {_MAX_RANGE_ITEMS} items")
    return values


def _array_get_item(name: str, args: list[Any], rng: random.Random) -> Any:
    _need(name, args, 2)
    items, index = _array_arg(name, args[0]), args[1]
    if not _is_int(index) or not 0 <= int(index) < len(items):
        raise _fail(name, f"index {index!r} is out of bounds")
    return items[int(index)]


def _array_length(name: str, args: list[Any], rng: random.Random) -> int:
    _need(name, args, 1)
    return len(_array_arg(name, args[0]))


def _array_unique(name: str, args: list[Any], rng: random.Random) -> list[Any]:
    _need(name, args, 1)
    seen: list[Any] = []
    for item in _array_arg(name, args[0]):
        if not any(_json_equal(item, other) for other in seen):
            seen.append(item)
    return seen


def _text_arg(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(name, "the argument must be a string")
    if len(value) > _MAX_STRING:
        raise _fail(name, f"the string is longer than {_MAX_STRING} characters")
    return value


def _base64_encode(name: str, args: list[Any], rng: random.Random) -> str:
    _need(name, args, 1)
    return base64.b64encode(_text_arg(name, args[0]).encode("utf-8")).decode("ascii")


def _base64_decode(name: str, args: list[Any], rng: random.Random) -> str:
    _need(name, args, 1)
    try:
        return base64.b64decode(_text_arg(name, args[0]), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise _fail(name, f"the string is not valid base64 ({exc})") from None


def _hash(name: str, args: list[Any], rng: random.Random) -> str:
    _need(name, args, 2)
    data = _text_arg(name, args[0])
    algorithm = _HASHES.get(args[1]) if isinstance(args[1], str) else None
    if algorithm is None:
        raise _fail(name, f"the algorithm must be one of {', '.join(_HASHES)}")
    return hashlib.new(algorithm, data.encode("utf-8")).hexdigest()


def _json_merge(name: str, args: list[Any], rng: random.Random) -> dict[str, Any]:
    _need(name, args, 3)
    left, right, deep = args
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise _fail(name, "the first two arguments must be JSON objects")
    if deep is not False:
        # Step Functions only supports the shallow mode: the flag must be false.
        raise _fail(name, "the deep-merge flag must be false")
    return {**left, **right}


def _math_random(name: str, args: list[Any], rng: random.Random) -> int:
    _need(name, args, (2, 3))
    if not all(_is_int(arg) for arg in args):
        raise _fail(name, "start, end and seed must be integers")
    start, end = int(args[0]), int(args[1])
    if start >= end:
        raise _fail(name, "start must be less than end")
    source = random.Random(int(args[2])) if len(args) == 3 else rng
    return source.randrange(start, end)


def _math_add(name: str, args: list[Any], rng: random.Random) -> int:
    _need(name, args, 2)
    if not all(_is_int(arg) and not isinstance(arg, bool) for arg in args):
        raise _fail(name, "both arguments must be integers")
    return int(args[0]) + int(args[1])


def _string_split(name: str, args: list[Any], rng: random.Random) -> list[Any]:
    _need(name, args, 2)
    text, delimiters = args
    if not isinstance(text, str) or not isinstance(delimiters, str) or not delimiters:
        raise _fail(name, "both arguments must be strings, the delimiter not empty")
    parts = re.split("[" + re.escape(delimiters) + "]", text)
    return [part for part in parts if part]


def _uuid(name: str, args: list[Any], rng: random.Random) -> str:
    _need(name, args, 0)
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


FUNCTIONS: dict[str, Callable[[str, list[Any], random.Random], Any]] = {
    "States.Format": _format,
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": _array,
    "States.ArrayPartition": _array_partition,
    "States.ArrayContains": _array_contains,
    "States.ArrayRange": _array_range,
    "States.ArrayGetItem": _array_get_item,
    "States.ArrayLength": _array_length,
    "States.ArrayUnique": _array_unique,
    "States.Base64Encode": _base64_encode,
    "States.Base64Decode": _base64_decode,
    "States.Hash": _hash,
    "States.JsonMerge": _json_merge,
    "States.MathRandom": _math_random,
    "States.MathAdd": _math_add,
    "States.StringSplit": _string_split,
    "States.UUID": _uuid,
}


def evaluate(node: Node, data: Any, context: Any, rng: random.Random,
             variables: Callable[[str], Any] | None = None) -> Any:
    """Evaluate a parsed intrinsic against the effective input, the context object and
    the workflow variables (``$name`` arguments)."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, PathArg):
        path = parse_path(node.path)
        try:
            if path.variable is not None:
                if variables is None:
                    raise KeyError(path.variable)
                root = variables(path.variable)
            else:
                root = context if path.context else data
            return path.find(root)
        except (PathNotFound, KeyError):
            raise FailureError(
                StatesError.INTRINSIC_FAILURE.value,
                f"The JSONPath {node.path!r} could not be found in the input",
            ) from None
    assert isinstance(node, Call)
    function = FUNCTIONS.get(node.name)
    if function is None:
        raise FailureError(StatesError.INTRINSIC_FAILURE.value, f"Unknown intrinsic function {node.name}")
    args = [evaluate(arg, data, context, rng, variables) for arg in node.args]
    return function(node.name, args, rng)


def unknown_functions(node: Node) -> list[str]:
    """Names in a call tree that are not intrinsic functions (for static validation)."""
    if isinstance(node, Call):
        names = [] if node.name in FUNCTIONS else [node.name]
        for arg in node.args:
            names.extend(unknown_functions(arg))
        return names
    return []
