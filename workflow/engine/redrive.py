"""Which work a redrive reruns: the lanes that did not succeed, from the state they were in.

"When you redrive an execution, it continues the failed execution from the unsuccessful
step and uses the same input. Step Functions preserves the results and execution history
of the successful steps ... For workflows that include an Inline Map or Parallel state,
RedriveExecution reschedules and redrives only the iterations and branches that failed
or aborted" (Step Functions API reference, RedriveExecution). The same rule applies at
every level: a lane inside a redriven Map iteration continues from its own unsuccessful
state. A redriven state is not entered again (its Entered event has no matching Exited
one): its work is rescheduled, the first new event linking to its Entered event, with
its Retry counts back at zero. A Map or Parallel state that failed with
States.DataLimitExceeded reruns whole, the iterations and branches that succeeded included.
"""
from __future__ import annotations

from dataclasses import replace

from .errors import StatesError
from .lanes import LaneRecord, Step

#: Steps that need no redrive: never entered yet, or finished.
_KEEP = frozenset({Step.ENTER, Step.DONE})


def redriven_lanes(lanes: dict[str, LaneRecord]) -> dict[str, LaneRecord]:
    """The records a redrive starts from (the originals are left as they are)."""
    return {path: _redriven(record) for path, record in lanes.items()}


def _redriven(record: LaneRecord) -> LaneRecord:
    if record.step in _KEEP:
        return record
    rerun_children = record.fan_out and record.error != StatesError.DATA_LIMIT_EXCEEDED.value
    return replace(
        record,
        step=Step.FAN_OUT if rerun_children else Step.WORK,
        fan_out=record.fan_out if rerun_children else 0,
        last_event=record.entered_event or record.last_event,
        # Rescheduled now: a redriven Wait waits its whole time again.
        entered_time=None,
        attempts=[], error=None, cause=None, failed_at=None, job=None, token=None,
        deadline=None, output=None,
    )
