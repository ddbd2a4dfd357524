"""Retry and Catch matching rules and back-off arithmetic (ASL specification, Handling errors)."""
from __future__ import annotations

import random

import pytest

from workflow.engine.retry_catch import Catcher, Retrier, RetryState, error_matches, find_catcher

MATCHES = [
    (["States.ALL"], "Anything", True),
    (["States.ALL"], "States.Timeout", True),
    (["States.ALL"], "States.Runtime", False),
    (["States.ALL"], "States.DataLimitExceeded", False),
    (["States.DataLimitExceeded"], "States.DataLimitExceeded", True),
    (["States.Runtime"], "States.Runtime", False),
    (["States.TaskFailed"], "Lambda.ServiceException", True),
    (["States.TaskFailed"], "States.Timeout", False),
    (["States.TaskFailed"], "States.Runtime", False),
    (["States.Timeout"], "States.Timeout", True),
    (["A", "B"], "B", True),
    (["A"], "a", False),
]


@pytest.mark.parametrize("names,error,expected", MATCHES)
def test_error_matching(names: list[str], error: str, expected: bool) -> None:
    assert error_matches(names, error) is expected


def test_backoff_sequence_with_cap() -> None:
    retrier = Retrier(["E"], interval_seconds=2, max_attempts=5, backoff_rate=3.0, max_delay_seconds=20)
    rng = random.Random(0)
    assert [retrier.delay(n, rng) for n in range(4)] == [2, 6, 18, 20]


def test_full_jitter_stays_below_the_backoff() -> None:
    retrier = Retrier(["E"], interval_seconds=4, backoff_rate=2.0, jitter_strategy="FULL")
    rng = random.Random(5)
    delays = [retrier.delay(2, rng) for _ in range(200)]
    assert all(0 <= d <= 16 for d in delays) and len(set(delays)) > 100


def test_each_retrier_counts_its_own_attempts() -> None:
    state = RetryState([Retrier(["A"], max_attempts=2, interval_seconds=1, backoff_rate=1.0),
                        Retrier(["States.ALL"], max_attempts=1, interval_seconds=5)])
    rng = random.Random(0)
    assert state.next_delay("A", rng) == 1
    assert state.next_delay("B", rng) == 5
    assert state.next_delay("A", rng) == 1
    assert state.next_delay("A", rng) is None, "the first matching retrier is exhausted"
    assert state.next_delay("B", rng) is None
    assert state.total == 3


def test_max_attempts_zero_never_retries() -> None:
    assert RetryState([Retrier(["E"], max_attempts=0)]).next_delay("E", random.Random()) is None


def test_first_matching_catcher_wins() -> None:
    catchers = [Catcher(["X"], "A"), Catcher(["States.ALL"], "B")]
    assert find_catcher(catchers, "X").next == "A"
    assert find_catcher(catchers, "Y").next == "B"
    assert find_catcher(catchers, "States.Runtime") is None
