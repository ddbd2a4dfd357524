"""The profile summary's verdict: input-bound when training steps mostly wait for data."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

from profile_summary import SUMMARY, StepTimes


def summary_of(data_seconds: float, compute_seconds: float, tmp_path: Path) -> dict:
    times = StepTimes().start()
    for _ in range(4):
        times.record("train", data_seconds, compute_seconds, 8)
    times.record("eval", 0.001, 0.01, 8)
    times.write(tmp_path)
    return json.loads((tmp_path / SUMMARY).read_text())


def test_waiting_for_data_most_of_a_step_is_input_bound(tmp_path: Path) -> None:
    summary = summary_of(0.3, 0.1, tmp_path)
    assert summary["verdict"] == "input-bound"
    assert summary["train"]["data_wait_share"] == 0.75 and summary["train"]["images"] == 32
    assert "75% of their time waiting for data" in summary["evidence"]
    assert summary["eval"]["steps"] == 1 and summary["system"]["peak_rss_bytes"] > 0


def test_computing_most_of_a_step_is_compute_bound(tmp_path: Path) -> None:
    summary = summary_of(0.01, 0.2, tmp_path)
    assert summary["verdict"] == "compute-bound"
    assert summary["train"]["median_compute_ms"] == 200.0
