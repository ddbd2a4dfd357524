"""Signalling a process group: how the server ends a child and whatever it started.

Every child the server starts (a training script, a Lambda environment, the MLflow server,
the server itself from the command line) leads a process group of its own, so one signal
reaches the grandchildren too (data-loader workers, a shell's children).
"""
from __future__ import annotations

import os
import signal


def signal_group(pid: int, sig: int = signal.SIGKILL) -> bool:
    """Send ``sig`` to the process group ``pid`` leads; False when the group is gone (or
    belongs to someone else)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True
