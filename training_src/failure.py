"""Failure reporting in the SageMaker training contract.

A job that fails writes a one-paragraph reason to the failure file and exits
non-zero; SageMaker (and the local runtime) shows that text as the job's
``FailureReason``. The file is, in order of preference:

1. the path in ``SM_OUTPUT_FAILURE``;
2. ``<SM_OUTPUT_DIR or /opt/ml/output>/failure`` when that directory exists.

Outside a container neither exists, and the reason only goes to stderr.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

# SageMaker truncates FailureReason to 1024 characters; keep the start.
MAX_REASON_CHARS = 1024


class TrainingError(Exception):
    """An expected failure whose message already tells the user what to fix."""


def failure_path(environ: Mapping[str, str] | None = None) -> Path | None:
    env = os.environ if environ is None else environ
    explicit = env.get("SM_OUTPUT_FAILURE")
    if explicit:
        return Path(explicit)
    output_dir = Path(env.get("SM_OUTPUT_DIR") or "/opt/ml/output")
    return output_dir / "failure" if output_dir.is_dir() else None


def one_paragraph(reason: str) -> str:
    text = " ".join(reason.split())
    return text[:MAX_REASON_CHARS]


def report_failure(reason: str, environ: Mapping[str, str] | None = None) -> Path | None:
    """Prints the reason to stderr and writes it to the failure file; returns that file."""
    text = one_paragraph(reason)
    print(f"training failed: {text}", file=sys.stderr, flush=True)
    path = failure_path(environ)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path
