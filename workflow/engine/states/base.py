"""What every state shares: the JSONPath input/output pipeline, Enter/Exit events, Catch."""
from __future__ import annotations

from typing import Any, ClassVar

from ..errors import FailureError, StatesError, runtime_error
from ..limits import check_payload, to_json
from ..paths import PathNotFound, ResultPathFailure, merge_result, parse_path
from ..retry_catch import Catcher, Retrier, RetryState, find_catcher
from ..runtime import Frame
from ..template import compile_template

_UNSET: Any = object()


class State:
    type: ClassVar[str] = ""
    event_prefix: ClassVar[str] = ""

    def __init__(self, name: str, spec: dict) -> None:
        self.name = name
        self.spec = spec
        self.next: str | None = spec.get("Next")
        self.end = bool(spec.get("End", False))
        self.input_path = spec.get("InputPath", "$")
        self.output_path = spec.get("OutputPath", "$")
        self.result_path = spec.get("ResultPath", "$")
        self._input_path = parse_path(self.input_path) if isinstance(self.input_path, str) and self.input_path != "$" else None
        self._output_path = parse_path(self.output_path) if isinstance(self.output_path, str) and self.output_path != "$" else None
        self.retriers = [Retrier.from_definition(r) for r in spec.get("Retry", [])]
        self.catchers = [Catcher.from_definition(c) for c in spec.get("Catch", [])]
        self.parameters = (
            compile_template(spec["Parameters"]) if "Parameters" in spec else None
        )
        self.result_selector = (
            compile_template(spec["ResultSelector"]) if "ResultSelector" in spec else None
        )

    # --- the pipeline -----------------------------------------------------------------
    def select_input(self, frame: Frame, data: Any) -> Any:
        if self.input_path is None:
            return {}
        if self._input_path is None:
            return data
        return self._find(frame, self._input_path, data, "InputPath")

    def select_output(self, frame: Frame, data: Any) -> Any:
        if self.output_path is None:
            return {}
        if self._output_path is None:
            return data
        return self._find(frame, self._output_path, data, "OutputPath")

    @staticmethod
    def _find(frame: Frame, path: Any, data: Any, field: str) -> Any:
        try:
            return path.find(frame.context() if path.context else data)
        except PathNotFound:
            raise runtime_error(
                f"Invalid path '{path.text}' : No results for path: {field} in state input {to_json(data)[:200]}"
            ) from None

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

    # --- the state's own work ---------------------------------------------------------
    def process(self, frame: Frame, raw_input: Any) -> Any:
        """The state's output for ``raw_input`` (after InputPath ... OutputPath)."""
        raise NotImplementedError

    def transition(self, output: Any) -> str | None:
        return None if self.end else self.next

    def run_with_retry(self, frame: Frame, raw_input: Any) -> Any:
        if not self.retriers:
            return self.process(frame, raw_input)
        retry = RetryState(self.retriers)
        while True:
            try:
                return self.process(frame, raw_input)
            except FailureError as failure:
                delay = retry.next_delay(failure.error, frame.rng)
                if delay is None:
                    raise
                frame.sleep(delay)
                frame.retry_count = retry.total

    def execute(self, frame: Frame, raw_input: Any) -> tuple[Any, str | None]:
        """Enter the state, do its work, exit it; returns (output, next state or None)."""
        frame.check()
        frame.state_name = self.name
        frame.entered_time = frame.runtime.clock.now()
        frame.retry_count = 0
        frame.task_token = None
        prefix = self.event_prefix
        text = to_json(raw_input)
        frame.emit(prefix + "StateEntered", {"name": self.name, "input": text, "inputDetails": {"truncated": False}})
        try:
            check_payload(raw_input, "state input", text)
            output = self.run_with_retry(frame, raw_input)
            next_state = self.transition(output)
            out_text = check_payload(output, "state output")
        except FailureError as failure:
            catcher = find_catcher(self.catchers, failure.error)
            if catcher is None:
                raise
            output = self.caught(frame, raw_input, failure, catcher)
            next_state = catcher.next
            out_text = to_json(output)
        frame.emit(prefix + "StateExited", {"name": self.name, "output": out_text, "outputDetails": {"truncated": False}})
        return output, next_state

    def caught(self, frame: Frame, raw_input: Any, failure: FailureError, catcher: Catcher) -> Any:
        # A missing Error or Cause reads as an empty string in the error output.
        error_output = {"Error": failure.error or "", "Cause": failure.cause if failure.cause is not None else ""}
        output = self.place_result(raw_input, error_output, catcher.result_path)
        check_payload(output, "state output")
        return output
