"""The functions Step Functions adds to JSONata, and the one it takes away.

Developer guide, "Transforming data with JSONata", JSONata functions provided by
Step Functions: ``$partition``, ``$range``, ``$hash``, ``$random`` (with an optional
seed), ``$uuid`` and ``$parse``; ``$eval`` is not available. Each one is the JSONata
face of an intrinsic function, so it shares that implementation and its argument rules.
"""
from __future__ import annotations

import random
import threading
from typing import Any, Callable

from .errors import FailureError
from .intrinsic_functions import FUNCTIONS

HostFunction = Callable[..., Any]


class _Current(threading.local):
    """The random source of the execution evaluating on this thread ($random, $uuid)."""

    rng: random.Random | None = None


CURRENT = _Current()


def _source() -> random.Random:
    return CURRENT.rng if CURRENT.rng is not None else random.Random()


def _intrinsic(name: str) -> HostFunction:
    implementation = FUNCTIONS[name]

    def call(*args: Any) -> Any:
        try:
            return implementation(name, list(args), _source())
        except FailureError as failure:
            # JSONata reports a host function's error as the expression's evaluation error.
            raise ValueError(failure.cause or str(failure)) from None

    return call


def _random(*args: Any) -> float:
    """``$random([seed])``: a number in [0, 1); the same seed gives the same number."""
    if len(args) > 1:
        raise ValueError("The $random function takes at most one argument (a seed)")
    if args and args[0] is not None:
        seed = args[0]
        if type(seed) not in (int, float):
            raise ValueError("The seed of $random must be a number")
        return random.Random(seed).random()
    return _source().random()


def _parse(*args: Any) -> Any:
    """``$parse(text)``: JSON text to its value (States.StringToJson for JSONata)."""
    return _intrinsic("States.StringToJson")(*args)


def _eval_unavailable(*args: Any) -> Any:
    raise ValueError("T1006: Attempted to invoke a non-function: $eval is not available in Step Functions, "
                     "use $parse")


#: name -> implementation, registered on every compiled expression.
ADDED: dict[str, HostFunction] = {
    "partition": _intrinsic("States.ArrayPartition"),
    "range": _intrinsic("States.ArrayRange"),
    "hash": _intrinsic("States.Hash"),
    "uuid": _intrinsic("States.UUID"),
    "parse": _parse,
}
#: Built-ins Step Functions replaces (jsonatapy needs an explicit override for those).
REPLACED: dict[str, HostFunction] = {
    "random": _random,
    "eval": _eval_unavailable,
}
