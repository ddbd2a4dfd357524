"""The two query languages of ASL and the fields that belong to each.

Developer guide, "Transforming data with JSONata": ``QueryLanguage`` is set for the
whole state machine (default JSONPath) and may be set per state; a JSONPath state
machine may hold JSONata states, but a JSONata one may not hold JSONPath states. A
JSONata state has ``Arguments`` and ``Output`` in place of the five JSONPath fields,
and no ``...Path`` field at all; ``Assign`` belongs to both.
"""
from __future__ import annotations

from enum import Enum


class QueryLanguage(str, Enum):
    JSONPATH = "JSONPath"
    JSONATA = "JSONata"

    def __str__(self) -> str:
        return self.value


#: Fields only a JSONPath state may have (any state type).
JSONPATH_ONLY = frozenset({
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath",
    "ErrorPath", "CausePath", "ItemsPath", "MaxConcurrencyPath",
})
#: Fields only a JSONata state may have.
JSONATA_ONLY = frozenset({"Arguments", "Output", "Items"})
#: Choice rule fields of each language (besides Next, Comment and Assign).
JSONATA_RULE_FIELDS = frozenset({"Condition", "Output"})
#: Catcher fields of each language (besides ErrorEquals, Next, Comment and Assign).
JSONPATH_CATCHER_FIELDS = frozenset({"ResultPath"})
JSONATA_CATCHER_FIELDS = frozenset({"Output"})


def language_of(spec: dict[str, object], default: QueryLanguage) -> QueryLanguage:
    """A state's query language: its own QueryLanguage, else the state machine's."""
    value = spec.get("QueryLanguage")
    return QueryLanguage(value) if value in (QueryLanguage.JSONPATH.value, QueryLanguage.JSONATA.value) else default
