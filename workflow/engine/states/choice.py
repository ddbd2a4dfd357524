"""Choice: the first rule that matches names the next state, else Default.

A JSONPath rule compares a Variable; a JSONata rule has a ``Condition`` expression.
The matching rule's Assign (and, in JSONata, its Output) apply; with no match the
state's own Assign and Output do, and the Default is taken.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..assign import Assignment, compile_assign
from ..choice_rules import Predicate, compile_rule
from ..errors import FailureError, StatesError
from ..execution import Frame
from ..jsonata_fields import Evaluator, QueryEnv, compile_value, unexpected_type
from ..limits import check_payload, to_json
from ..query_language import QueryLanguage
from .base import State


@dataclass(frozen=True)
class Rule:
    next: str
    predicate: Predicate | None = None   # JSONPath
    condition: Evaluator | None = None   # JSONata
    condition_text: Any = None
    assign: Assignment | None = None
    output: Evaluator | None = None


class ChoiceState(State):
    type = "Choice"

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        super().__init__(name, spec, default_language)
        self.rules = [self._rule(index, rule) for index, rule in enumerate(spec.get("Choices", []))]
        self.default = spec.get("Default")

    def _rule(self, index: int, rule: dict[str, Any]) -> Rule:
        where = f"Choices/{index}"
        assign = compile_assign(rule["Assign"], self.language, f"{where}/Assign") if "Assign" in rule else None
        if self.jsonata:
            return Rule(rule["Next"], condition=compile_value(rule["Condition"], f"{where}/Condition"),
                        condition_text=rule["Condition"], assign=assign,
                        output=compile_value(rule["Output"], f"{where}/Output") if "Output" in rule else None)
        return Rule(rule["Next"], predicate=compile_rule(rule), assign=assign)

    def _matches(self, frame: Frame, rule: Rule, data: Any, env: QueryEnv | None, index: int) -> bool:
        if rule.predicate is not None:
            return rule.predicate(data, frame)
        assert rule.condition is not None and env is not None
        value = rule.condition(env)
        if type(value) is not bool:
            raise unexpected_type(env, f"Choices/{index}/Condition", rule.condition_text, value, "boolean")
        return value

    def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        # Choice has no Retry or Catch: its own execute keeps the chosen target per call,
        # which matters because Map iterations share this object across threads.
        text = self.enter(frame, raw_input)
        frame.resuming = None
        check_payload(raw_input, "state input", text)
        env = self.env(frame, raw_input) if self.jsonata else None
        data = raw_input if env is not None else self.select_input(frame, raw_input)
        chosen = next((rule for index, rule in enumerate(self.rules)
                       if self._matches(frame, rule, data, env, index)), None)
        if chosen is None and self.default is None:
            raise FailureError(
                StatesError.NO_CHOICE_MATCHED.value,
                f"No Choice Rules matched and no Default is specified in state '{self.name}'",
            )
        assign = chosen.assign if chosen is not None else self.assign
        target = chosen.next if chosen is not None else self.default
        if env is not None:
            if assign is not None:
                frame.assigned = assign(frame, None, env)
            output_field = chosen.output if chosen is not None else self.output
            output = output_field(env) if output_field is not None else raw_input
        else:
            if assign is not None:
                # A Choice has no result: its Assign reads the state input.
                frame.assigned = assign(frame, data, None)
            output = self.select_output(frame, data)
        out_text = to_json(output) if output is not raw_input else text
        assert target is not None
        self.exit(frame, output, out_text, target)
        return output, target
