"""Retry and Catch: the specification's error-matching rules and back-off arithmetic."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .errors import NOT_MATCHED_BY_WILDCARDS, UNCATCHABLE, StatesError


def error_matches(names: list[str], error: str | None) -> bool:
    """Does an ErrorEquals list match ``error``?

    States.ALL matches any error; States.TaskFailed matches any error except
    States.Timeout; neither wildcard matches States.Runtime or
    States.DataLimitExceeded, which only an explicit name can name (and
    States.Runtime can never be caught at all).
    """
    if error in UNCATCHABLE:
        return False
    if error is None:
        return StatesError.ALL.value in names
    for name in names:
        if name == error:
            return True
        if error in NOT_MATCHED_BY_WILDCARDS:
            continue
        if name == StatesError.ALL.value:
            return True
        if name == StatesError.TASK_FAILED.value and error != StatesError.TIMEOUT.value:
            return True
    return False


@dataclass
class Retrier:
    error_equals: list[str]
    interval_seconds: float = 1.0
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"

    @classmethod
    def from_definition(cls, spec: dict[str, Any]) -> "Retrier":
        return cls(
            error_equals=list(spec["ErrorEquals"]),
            interval_seconds=spec.get("IntervalSeconds", 1),
            max_attempts=spec.get("MaxAttempts", 3),
            backoff_rate=spec.get("BackoffRate", 2.0),
            max_delay_seconds=spec.get("MaxDelaySeconds"),
            jitter_strategy=spec.get("JitterStrategy", "NONE"),
        )

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before retry number ``attempt`` (0-based)."""
        seconds = self.interval_seconds * (self.backoff_rate ** attempt)
        if self.max_delay_seconds is not None:
            seconds = min(seconds, self.max_delay_seconds)
        if self.jitter_strategy == "FULL":
            seconds = rng.uniform(0, seconds)
        return seconds


@dataclass
class Catcher:
    error_equals: list[str]
    next: str
    result_path: str | None = "$"

    @classmethod
    def from_definition(cls, spec: dict[str, Any]) -> "Catcher":
        return cls(list(spec["ErrorEquals"]), spec["Next"], spec.get("ResultPath", "$"))


@dataclass
class RetryState:
    """Attempt counters of one state entry: one per retrier, as the specification requires."""

    retriers: list[Retrier]
    attempts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.attempts = [0] * len(self.retriers)

    def next_delay(self, error: str | None, rng: random.Random) -> float | None:
        """Seconds to wait before retrying ``error``, or None when it must not be retried."""
        for index, retrier in enumerate(self.retriers):
            if error_matches(retrier.error_equals, error):
                if self.attempts[index] >= retrier.max_attempts:
                    return None
                delay = retrier.delay(self.attempts[index], rng)
                self.attempts[index] += 1
                return delay
        return None

    @property
    def total(self) -> int:
        return sum(self.attempts)


def find_catcher(catchers: list[Catcher], error: str | None) -> Catcher | None:
    index = catcher_index(catchers, error)
    return None if index is None else catchers[index]


def catcher_index(catchers: list[Catcher], error: str | None) -> int | None:
    """The position of the first catcher that matches ``error``, or None."""
    for index, catcher in enumerate(catchers):
        if error_matches(catcher.error_equals, error):
            return index
    return None
