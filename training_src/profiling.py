"""Optional profiling output (``--profile true``), read by the profiler report.

Everything goes under ``<output-data-dir>/profiler/``:

``steps.jsonl``
    One JSON object per training or evaluation step::

        {"epoch": 1, "step": 0, "mode": "train", "data_seconds": 0.012,
         "compute_seconds": 0.081, "batch_size": 32, "timestamp": 1732500000.123}

    ``step`` counts from 0 within the epoch and mode; ``mode`` is "train",
    "eval" (validation) or "test" (the final pass, numbered with the last
    epoch); ``data_seconds`` is the wait for the batch, ``compute_seconds``
    forward, backward and optimizer step (CUDA synchronised, so it is
    real device time); ``timestamp`` is Unix time at the end of the step.

``system.jsonl``
    One sample every ``--system-sample-seconds``::

        {"timestamp": 1732500000.5, "cpu_percent": 180.0, "rss_bytes": 812345344,
         "gpu_utilization_percent": 97, "gpu_memory_bytes": 2147483648}

    ``cpu_percent`` is this process's CPU use (100 = one core); the GPU keys
    appear only with CUDA (utilisation needs NVML and is omitted without it).

``trace.json``
    A Chrome trace (chrome://tracing, Perfetto) of the first
    ``--profile-trace-steps`` training steps, from ``torch.profiler``.

``summary.json``
    Written at the end: ``{"steps": n, "images": n, "data_seconds": s,
    "compute_seconds": s, "peak_rss_bytes": n, "peak_gpu_memory_bytes": n}``.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import torch


class SystemSampler(threading.Thread):
    """This process's CPU and memory (and the GPU's) every ``interval`` seconds: written to
    ``path`` when given, and summed up in ``totals()`` either way."""

    def __init__(self, path: Path | None, interval: float, cuda: bool) -> None:
        super().__init__(name="system-sampler", daemon=True)
        self.path, self.interval, self.cuda = path, max(0.05, interval), cuda
        self._stop_event = threading.Event()
        self._process = psutil.Process()
        self.peak_rss = 0
        self._samples = 0
        self._sums = {"cpu_percent": 0.0, "gpu_utilization_percent": 0.0}
        self._gpu_samples = 0

    def sample(self) -> dict[str, Any]:
        rss = self._process.memory_info().rss
        self.peak_rss = max(self.peak_rss, rss)
        row: dict[str, Any] = {"timestamp": time.time(),
                               "cpu_percent": self._process.cpu_percent(None),
                               "rss_bytes": rss}
        if self.cuda:
            row["gpu_memory_bytes"] = torch.cuda.memory_allocated()
            try:
                row["gpu_utilization_percent"] = torch.cuda.utilization()
            except Exception:  # noqa: BLE001 - no NVML in this environment; keep the memory figure
                pass
        self._samples += 1
        self._sums["cpu_percent"] += row["cpu_percent"]
        if "gpu_utilization_percent" in row:
            self._gpu_samples += 1
            self._sums["gpu_utilization_percent"] += row["gpu_utilization_percent"]
        return row

    def run(self) -> None:
        self._process.cpu_percent(None)  # the first reading only starts the interval
        out = self.path.open("a", encoding="utf-8") if self.path is not None else None
        try:
            while not self._stop_event.wait(self.interval):
                row = self.sample()
                if out is not None:
                    out.write(json.dumps(row) + "\n")
                    out.flush()
        finally:
            if out is not None:
                out.close()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_event.set()
        self.join(timeout)

    def totals(self) -> dict[str, Any]:
        """Mean CPU (100 = one core) and GPU utilisation, peak memory, over the samples taken."""
        return {
            "samples": self._samples, "sample_seconds": self.interval,
            "cpu_percent_mean": self._sums["cpu_percent"] / self._samples if self._samples else None,
            "cpu_count": psutil.cpu_count(),
            "peak_rss_bytes": self.peak_rss or self._process.memory_info().rss,
            "gpu_utilization_percent_mean": (self._sums["gpu_utilization_percent"] / self._gpu_samples
                                             if self._gpu_samples else None),
            "peak_gpu_memory_bytes": torch.cuda.max_memory_allocated() if self.cuda else None,
        }


class StepProfiler:
    """Records step timings; traces the first training steps with torch.profiler."""

    def __init__(self, output_data_dir: str | Path, trace_steps: int = 5,
                 sample_seconds: float = 1.0, cuda: bool = False) -> None:
        self.dir = Path(output_data_dir) / "profiler"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.cuda = cuda
        self._steps = (self.dir / "steps.jsonl").open("a", encoding="utf-8")
        self._sampler = SystemSampler(self.dir / "system.jsonl", sample_seconds, cuda)
        self._trace_left = trace_steps
        self._torch_profiler = None
        self.totals = {"steps": 0, "images": 0, "data_seconds": 0.0, "compute_seconds": 0.0}
        if trace_steps > 0:
            activities = [torch.profiler.ProfilerActivity.CPU]
            if cuda:
                activities.append(torch.profiler.ProfilerActivity.CUDA)
            self._torch_profiler = torch.profiler.profile(activities=activities)

    def start(self) -> StepProfiler:
        self._sampler.start()
        if self._torch_profiler is not None:
            self._torch_profiler.start()
        return self

    def synchronize(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def record(self, epoch: int, step: int, mode: str, data_seconds: float,
               compute_seconds: float, batch_size: int) -> None:
        row = {"epoch": epoch, "step": step, "mode": mode,
               "data_seconds": round(data_seconds, 6),
               "compute_seconds": round(compute_seconds, 6),
               "batch_size": batch_size, "timestamp": time.time()}
        self._steps.write(json.dumps(row) + "\n")
        self.totals["steps"] += 1
        self.totals["images"] += batch_size
        self.totals["data_seconds"] += data_seconds
        self.totals["compute_seconds"] += compute_seconds
        if mode == "train" and self._torch_profiler is not None:
            self._trace_left -= 1
            if self._trace_left <= 0:
                self._finish_trace()

    def _finish_trace(self) -> None:
        profiler, self._torch_profiler = self._torch_profiler, None
        assert profiler is not None  # called only while a trace runs
        profiler.stop()
        profiler.export_chrome_trace(str(self.dir / "trace.json"))

    def close(self) -> None:
        if self._torch_profiler is not None:
            self._finish_trace()
        self._sampler.stop()
        self._steps.close()
        summary = dict(self.totals, peak_rss_bytes=self._sampler.peak_rss,
                       peak_gpu_memory_bytes=torch.cuda.max_memory_allocated() if self.cuda else 0)
        (self.dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
