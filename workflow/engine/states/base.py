"""What every state shares: the input/output pipeline of its query language, Assign,
Enter/Exit events, Retry and Catch.

A JSONPath state runs InputPath, Parameters, ResultSelector, ResultPath and
OutputPath; a JSONata state runs Arguments and Output over ``$states`` (see
``jsonata_fields``). Both may Assign variables, which are bound as the state exits.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar

from ..assign import Assignment, compile_assign
from ..errors import FailureError, StatesError
from ..execution import Frame
from ..jsonata_fields import Evaluator, QueryEnv, compile_value
from ..lanes import Step
from ..limits import check_payload, to_json
from ..paths import ResultPathFailure, merge_result, parse_path
from ..query_language import QueryLanguage, language_of
from ..retry_catch import Catcher, Retrier, RetryState, catcher_index
from ..template import compile_template

_UNSET: Any = object()

#: InputPath or OutputPath compiled: (frame, document) -> the part of it the field selects.
Selection = Callable[[Frame, Any], Any]


def _selection(spec: dict[str, Any], field: str) -> Selection:
    """``null`` selects an empty object, ``$`` (the default) the whole document, a path the
    value it finds; a path that finds nothing is a States.Runtime error."""
    text = spec.get(field, "$")
    if text is None:
        return lambda frame, data: {}
    if not isinstance(text, str) or text == "$":
        return lambda frame, data: data
    path = parse_path(text)
    return lambda frame, data: path.require(data, frame, lambda: (
        f"Invalid path '{text}' : No results for path: {field} in state input {to_json(data)[:200]}"))


class State:
    #: The ASL ``Type``; it also starts the names of the state's events (``TaskStateEntered``).
    type: ClassVar[str] = ""

    def __init__(self, name: str, spec: dict[str, Any], default_language: QueryLanguage) -> None:
        self.name = name
        self.spec = spec
        # States inside a Parallel or Map default to the state machine's language.
        self.default_language = default_language
        self.language = language_of(spec, default_language)
        self.jsonata = self.language is QueryLanguage.JSONATA
        self.next: str | None = spec.get("Next")
        self.end = bool(spec.get("End", False))
        self.select_input = _selection(spec, "InputPath")
        self.select_output = _selection(spec, "OutputPath")
        self.result_path = spec.get("ResultPath", "$")
        self.retriers = [Retrier.from_definition(r) for r in spec.get("Retry", [])]
        self.catchers = [Catcher.from_definition(c) for c in spec.get("Catch", [])]
        self.parameters = (
            compile_template(spec["Parameters"]) if "Parameters" in spec else None
        )
        self.result_selector = (
            compile_template(spec["ResultSelector"]) if "ResultSelector" in spec else None
        )
        # JSONata fields, and Assign in either language.
        self.arguments = self._value("Arguments")
        self.output = self._value("Output")
        self.assign = compile_assign(spec["Assign"], self.language) if "Assign" in spec else None
        self._catch_fields: list[tuple[Evaluator | None, Assignment | None]] = [
            (compile_value(c["Output"], "Output") if "Output" in c else None,
             compile_assign(c["Assign"], self.language) if "Assign" in c else None)
            for c in spec.get("Catch", [])
        ]

    def _value(self, field: str) -> Evaluator | None:
        return compile_value(self.spec[field], field) if field in self.spec and self.jsonata else None

    # --- the JSONPath pipeline ----------------------------------------------------------
    def apply_parameters(self, frame: Frame, data: Any) -> Any:
        return self.parameters(data, frame) if self.parameters is not None else data

    def select_result(self, frame: Frame, result: Any) -> Any:
        return self.result_selector(result, frame) if self.result_selector is not None else result

    def place_result(self, raw_input: Any, result: Any, result_path: Any = _UNSET) -> Any:
        path = self.result_path if result_path is _UNSET else result_path
        if path is None:
            return raw_input
        if path == "$":
            return result
        try:
            return merge_result(path, raw_input, result)
        except ResultPathFailure as exc:
            raise FailureError(StatesError.RESULT_PATH_MATCH_FAILURE.value, str(exc)) from None

    def finish(self, frame: Frame, raw_input: Any, result: Any) -> Any:
        """JSONPath: Assign over the result, then ResultPath and OutputPath (old variables)."""
        if self.assign is not None:
            frame.assigned = self.assign(frame, result, None)
        return self.select_output(frame, self.place_result(raw_input, result))

    # --- the JSONata pipeline -----------------------------------------------------------
    def env(self, frame: Frame, raw_input: Any) -> QueryEnv:
        return QueryEnv(frame, raw_input)

    def finish_jsonata(self, frame: Frame, env: QueryEnv, default: Any) -> Any:
        """JSONata: Output and Assign, both over the variables from before the state."""
        if self.assign is not None:
            frame.assigned = self.assign(frame, None, env)
        return self.output(env) if self.output is not None else default

    # --- the state's own work ---------------------------------------------------------
    def process(self, frame: Frame, raw_input: Any) -> Any:
        """The state's output for ``raw_input`` (after InputPath ... OutputPath)."""
        raise NotImplementedError

    def transition(self, output: Any) -> str | None:
        return None if self.end else self.next

    def run_with_retry(self, frame: Frame, raw_input: Any) -> Any:
        retry = RetryState(self.retriers)
        # A restored lane goes on with the attempts counted so far, and decides about an
        # attempt that had failed before the restart as it would have then.
        pending, elapsed = self._restored_attempts(frame, retry)
        if not self.retriers and pending is None:
            try:
                return self.process(frame, raw_input)
            finally:
                frame.resuming = None
        while True:
            try:
                if pending is not None:
                    raise pending
                return self.process(frame, raw_input)
            except FailureError as failure:
                frame.resuming = None
                frame.assigned = None
                delay = retry.next_delay(failure.error, frame.rng)
                if delay is None:
                    raise
                frame.record.attempts = list(retry.attempts)
                frame.sleep(delay, already=elapsed if failure is pending else 0.0)
                pending = None
                frame.retry_count = retry.total

    @staticmethod
    def _restored_attempts(frame: Frame, retry: RetryState) -> tuple[FailureError | None, float]:
        resuming = frame.resuming
        if resuming is None:
            return None, 0.0
        if len(resuming.attempts) == len(retry.attempts):
            retry.attempts = list(resuming.attempts)
        if resuming.step is not Step.RETRY:
            return None, 0.0
        frame.resuming = None
        failed_at = resuming.failed_at or frame.execution.clock.now()
        elapsed = max((frame.execution.clock.now() - failed_at).total_seconds(), 0.0)
        return FailureError(resuming.error, resuming.cause), elapsed

    def enter(self, frame: Frame, raw_input: Any) -> str:
        """Record StateEntered, unless the lane is resumed inside this state already; returns
        the input's JSON text."""
        frame.check()
        frame.state_name = self.name
        frame.task_token = None
        frame.assigned = None
        text = to_json(raw_input)
        resuming = frame.resuming
        if resuming is not None:
            frame.entered_time = resuming.entered_time or frame.execution.clock.now()
            frame.retry_count = sum(resuming.attempts)
            frame.entered_event_id = resuming.entered_event
            return text
        frame.entered_time = frame.execution.clock.now()
        frame.retry_count = 0
        record = frame.record
        record.enter(self.name, raw_input)
        record.step = Step.WORK
        frame.entered_event_id = frame.emit(self.type + "StateEntered",
                                            {"name": self.name, "input": text, "inputDetails": {"truncated": False}})
        return text

    def exit(self, frame: Frame, output: Any, out_text: str, next_state: str | None) -> None:
        """Bind what the state assigned, then record StateExited with assignedVariables; the
        lane's record moves on to ``next_state`` (or ends) with the variables it holds."""
        frame.resuming = None
        details: dict[str, Any] = {"name": self.name, "output": out_text, "outputDetails": {"truncated": False}}
        record = frame.record
        if frame.assigned is not None:
            assigned, frame.assigned = frame.assigned, None
            details["assignedVariables"] = frame.variables.assign(assigned)
            details["assignedVariablesDetails"] = {"truncated": False}
            record.variables = frame.variables.snapshot()
        if next_state is None:
            record.finish(output)
        else:
            record.enter(next_state, output)
        frame.emit(self.type + "StateExited", details)

    def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        """Enter the state, do its work, exit it; returns (output, next state or None)."""
        text = self.enter(frame, raw_input)
        try:
            check_payload(raw_input, "state input", text)
            output = self.run_with_retry(frame, raw_input)
            next_state = self.transition(output)
            out_text = check_payload(output, "state output")
        except FailureError as failure:
            frame.resuming = None
            index = catcher_index(self.catchers, failure.error)
            if index is None:
                raise
            catcher = self.catchers[index]
            output = self.caught(frame, raw_input, failure, index)
            next_state = catcher.next
            out_text = to_json(output)
        self.exit(frame, output, out_text, next_state)
        return output, next_state

    def caught(self, frame: Frame, raw_input: Any, failure: FailureError, index: int) -> Any:
        """The state's output when catcher ``index`` catches ``failure`` (its Assign replaces the state's)."""
        # A missing Error or Cause reads as an empty string in the error output.
        error_output = {"Error": failure.error or "", "Cause": failure.cause if failure.cause is not None else ""}
        output_field, assign = self._catch_fields[index]
        frame.assigned = None
        if self.jsonata:
            env = QueryEnv(frame, raw_input, errorOutput=error_output)
            if assign is not None:
                frame.assigned = assign(frame, None, env)
            output = output_field(env) if output_field is not None else error_output
        else:
            if assign is not None:
                frame.assigned = assign(frame, error_output, None)
            output = self.place_result(raw_input, error_output, self.catchers[index].result_path)
        check_payload(output, "state output")
        return output
