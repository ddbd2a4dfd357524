"""One module per ASL state type; STATE_TYPES maps the ``Type`` field to its class."""
from __future__ import annotations

from .choice import ChoiceState
from .map_state import MapState
from .parallel import ParallelState
from .pass_state import PassState
from .succeed_fail import FailState, SucceedState
from .task import TaskState
from .wait import WaitState

STATE_TYPES = {
    cls.type: cls
    for cls in (TaskState, PassState, ChoiceState, WaitState, SucceedState, FailState, ParallelState, MapState)
}
