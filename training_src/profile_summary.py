"""Where each step's time goes, and whether the job waits for its data or for its compute.

Always on and cheap: two clock readings per step (no device synchronisation),
and a sampler thread reading this process's CPU, memory and the GPU once a
second. ``write`` leaves ``profile-summary.json`` in the output data directory::

    {"verdict": "compute-bound", "evidence": "...",
     "train": {"steps": 40, "images": 1280, "data_wait_seconds": 0.4,
               "compute_seconds": 9.1, "data_wait_share": 0.04,
               "median_data_wait_ms": 9.8, "median_compute_ms": 226.0},
     "eval": {...}, "system": {"cpu_percent_mean": 190.2, "cpu_count": 2,
               "peak_rss_bytes": ..., "gpu_utilization_percent_mean": null,
               "peak_gpu_memory_bytes": null, ...}}

The data wait is the time a step spends getting its batch from the loader
(and onto the device); compute is the rest of the step. On a GPU without
``--profile`` (which synchronises every step), queued kernels finish inside
later steps, so compute is host-side time; the sum over a pass is exact.

The verdict is ``input-bound`` when training steps spend at least
``INPUT_BOUND_SHARE`` of their time waiting for data (more loader workers,
faster storage or lighter augmentation would speed the job up), otherwise
``compute-bound`` (a bigger instance or AMP would).
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from profiling import SystemSampler

SUMMARY = "profile-summary.json"
INPUT_BOUND_SHARE = 0.5
SAMPLE_SECONDS = 1.0


class StepTimes:
    def __init__(self, cuda: bool = False) -> None:
        self.modes: dict[str, dict[str, list[float]]] = {}
        self.images: dict[str, int] = {}
        self.sampler = SystemSampler(None, SAMPLE_SECONDS, cuda)

    def start(self) -> StepTimes:
        self.sampler.start()
        return self

    def record(self, mode: str, data_seconds: float, compute_seconds: float, batch_size: int) -> None:
        times = self.modes.setdefault(mode, {"data": [], "compute": []})
        times["data"].append(data_seconds)
        times["compute"].append(compute_seconds)
        self.images[mode] = self.images.get(mode, 0) + batch_size

    def _mode(self, mode: str) -> dict[str, Any]:
        times = self.modes[mode]
        data, compute = sum(times["data"]), sum(times["compute"])
        return {"steps": len(times["data"]), "images": self.images[mode],
                "data_wait_seconds": round(data, 4), "compute_seconds": round(compute, 4),
                "data_wait_share": round(data / (data + compute), 4) if data + compute else 0.0,
                "median_data_wait_ms": round(statistics.median(times["data"]) * 1000, 3),
                "median_compute_ms": round(statistics.median(times["compute"]) * 1000, 3)}

    def summary(self) -> dict[str, Any]:
        self.sampler.stop()
        out: dict[str, Any] = {mode: self._mode(mode) for mode in self.modes}
        system = self.sampler.totals()
        out["system"] = system
        train = out.get("train")
        if train is None:
            out["verdict"], out["evidence"] = "unknown", "no training step was timed"
            return out
        share = train["data_wait_share"]
        out["verdict"] = "input-bound" if share >= INPUT_BOUND_SHARE else "compute-bound"
        usage = []
        if system["cpu_percent_mean"] is not None:
            usage.append(f"CPU {system['cpu_percent_mean']:.0f}% of one core on average "
                         f"({system['cpu_count']} cores)")
        if system["gpu_utilization_percent_mean"] is not None:
            usage.append(f"GPU {system['gpu_utilization_percent_mean']:.0f}% busy")
        out["evidence"] = (f"training steps spent {share:.0%} of their time waiting for data "
                           f"(median {train['median_data_wait_ms']:.1f} ms a step) and "
                           f"{1 - share:.0%} computing (median {train['median_compute_ms']:.1f} ms)"
                           + (f"; {', '.join(usage)}" if usage else "")
                           + f"; input-bound from {INPUT_BOUND_SHARE:.0%} waiting")
        return out

    def write(self, output_data_dir: str | Path) -> dict[str, Any]:
        summary = self.summary()
        out = Path(output_data_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / SUMMARY).write_text(json.dumps(summary, indent=2), encoding="utf-8")
        return summary
