"""Parser for the intrinsic-function grammar of the Amazon States Language.

    call     := 'States.' NAME '(' [ argument { ',' argument } ] ')'
    argument := call | string | number | 'true' | 'false' | 'null' | path
    string   := "'" { char | '\\' any } "'"
    path     := '$' ... (a JSONPath, ended by ',' or ')' outside brackets and quotes)

A recursive-descent parser over the raw text: paths may contain brackets, quotes and
commas inside quotes, which a regular expression cannot balance.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Union

from .paths import PathError, parse_path

_NAME = re.compile(r"States\.[A-Za-z0-9]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_KEYWORDS = {"true": True, "false": False, "null": None}


class IntrinsicSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class PathArg:
    path: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple["Node", ...]


Node = Union[Literal, PathArg, Call]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, message: str) -> IntrinsicSyntaxError:
        return IntrinsicSyntaxError(f"{message} at position {self.pos} of {self.text!r}")

    def skip_spaces(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def call(self) -> Call:
        self.skip_spaces()
        match = _NAME.match(self.text, self.pos)
        if not match:
            raise self.error("Expected an intrinsic function name 'States.<Name>'")
        self.pos = match.end()
        self.skip_spaces()
        if self.peek() != "(":
            raise self.error("Expected '('")
        self.pos += 1
        args: list[Node] = []
        self.skip_spaces()
        if self.peek() == ")":
            self.pos += 1
            return Call(match.group(0), ())
        while True:
            args.append(self.argument())
            self.skip_spaces()
            char = self.peek()
            self.pos += 1
            if char == ")":
                return Call(match.group(0), tuple(args))
            if char != ",":
                self.pos -= 1
                raise self.error("Expected ',' or ')'")

    def argument(self) -> Node:
        self.skip_spaces()
        char = self.peek()
        if char == "'":
            return Literal(self.string())
        if char == "$":
            return PathArg(self.path())
        if self.text.startswith("States.", self.pos):
            return self.call()
        match = _NUMBER.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            raw = match.group(0)
            return Literal(int(raw) if match.group(1) is None and match.group(2) is None else float(raw))
        for word, value in _KEYWORDS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return Literal(value)
        raise self.error("Expected an argument (string, number, boolean, null, path or function)")

    def string(self) -> str:
        # Escapes \' and \\ are resolved here; \{ and \} stay escaped for States.Format.
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                nxt = self.text[self.pos + 1]
                out.append(nxt if nxt in "'\\" else char + nxt)
                self.pos += 2
                continue
            if char == "'":
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise self.error("Unterminated string literal")

    def path(self) -> str:
        start = self.pos
        depth = 0
        quote = ""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if quote:
                if char == quote:
                    quote = ""
            elif char in "'\"":
                quote = char
            elif char in "[(":
                depth += 1
            elif char in "])":
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                break
            self.pos += 1
        text = self.text[start:self.pos].strip()
        try:
            parse_path(text)
        except PathError as exc:
            raise self.error(str(exc)) from None
        return text


@lru_cache(maxsize=1024)
def parse_intrinsic(text: str) -> Call:
    """Parse one intrinsic function call; raises IntrinsicSyntaxError."""
    parser = _Parser(text)
    node = parser.call()
    parser.skip_spaces()
    if parser.pos != len(text):
        raise parser.error("Unexpected text after the function call")
    return node


def is_intrinsic(text: str) -> bool:
    return text.lstrip().startswith("States.")
