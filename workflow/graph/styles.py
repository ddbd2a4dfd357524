"""Colours and labels shared by every renderer, after the Step Functions console's graph view."""
from __future__ import annotations

from workflow.graph.model import Node
from workflow.graph.status import CANCELLED, CAUGHT, FAILED, NOT_REACHED, RUNNING, SUCCEEDED, StateStatus

#: status -> (fill, border, text)
STATUS_COLOURS: dict[str, tuple[str, str, str]] = {
    SUCCEEDED: ("#c9f2c7", "#1d8102", "#0b3d00"),
    FAILED: ("#fcd4d1", "#d13212", "#5c1206"),
    CAUGHT: ("#ffe0b8", "#ec7211", "#5a2d00"),
    RUNNING: ("#cfe6fb", "#0073bb", "#00304f"),
    CANCELLED: ("#dedede", "#545b64", "#232f3e"),
    NOT_REACHED: ("#f2f3f3", "#aab7b8", "#687078"),
}
#: Colours of a definition drawn without an execution.
PLAIN = ("#ffffff", "#545b64", "#16191f")
CATCH_COLOUR = "#ec7211"
MARKER_COLOUR = "#545b64"
LEGEND_ORDER = (SUCCEEDED, CAUGHT, FAILED, RUNNING, CANCELLED, NOT_REACHED)


def subtitle(node: Node) -> str:
    """``Task · lambda:invoke``, ``Choice``, ``Map`` ..."""
    return f"{node.type} · {node.resource}" if node.resource else node.type


def retry_text(node: Node) -> str:
    if not node.retry:
        return ""
    return "retry ≤" + "/".join(str(n) for n in node.retry)


def format_seconds(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def status_text(state: StateStatus) -> str:
    """``succeeded · 1.2 s · 2 retries · 3 visits``."""
    parts = [state.status]
    if state.duration_s is not None and state.status != NOT_REACHED:
        parts.append(format_seconds(state.duration_s))
    if state.retries:
        parts.append(f"{state.retries} retr{'y' if state.retries == 1 else 'ies'}")
    if state.visits > 1:
        parts.append(f"{state.visits} visits")
    if state.redrives:
        parts.append(f"redriven{'' if state.redrives == 1 else f' {state.redrives}x'}")
    if state.iterations:
        parts.append(f"{state.iterations} items")
    return " · ".join(parts)
