"""Per-variant invocation counts and model latency over a sliding window, kept in memory.

These are the numbers CloudWatch holds (Invocations, ModelLatency,
Invocation4XXErrors, Invocation5XXErrors); autoscaling, the command line and the
local CloudWatch service read them.
"""
from __future__ import annotations

import bisect
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

#: How far back the window reaches; older samples are dropped as new ones arrive.
WINDOW_SECONDS = 900.0


@dataclass
class _Series:
    samples: deque = field(default_factory=deque)  # (monotonic time, latency s, status)
    total: int = 0


class InvocationMetrics:
    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self.window = window
        self._series: dict[tuple[str, str], _Series] = {}
        self._lock = threading.Lock()

    def record(self, endpoint: str, variant: str, latency: float, status: int) -> None:
        now = time.monotonic()
        with self._lock:
            series = self._series.setdefault((endpoint, variant), _Series())
            series.samples.append((now, latency, status))
            series.total += 1
            while series.samples and series.samples[0][0] < now - self.window:
                series.samples.popleft()

    def forget(self, endpoint: str) -> None:
        with self._lock:
            for key in [k for k in self._series if k[0] == endpoint]:
                del self._series[key]

    def variants(self) -> list[tuple[str, str]]:
        """(endpoint, variant) pairs that still hold invocation samples."""
        with self._lock:
            return [key for key, series in self._series.items() if series.samples]

    def samples(self, endpoint: str, variant: str, start: float, end: float
                ) -> list[tuple[float, float, int]]:
        """(epoch seconds, latency s, status) of invocations that finished in [start, end).

        Samples are timed on the monotonic clock (immune to clock changes); CloudWatch
        queries use wall-clock times, so the offset between the two is applied here.
        """
        offset = time.time() - time.monotonic()
        with self._lock:
            series = self._series.get((endpoint, variant))
            recent = list(series.samples) if series else []
        return [(t + offset, lat, status) for t, lat, status in recent
                if start <= t + offset < end]

    def invocations(self, endpoint: str, variant: str, seconds: float) -> int:
        """Invocations (any outcome) that finished in the last ``seconds``."""
        since = time.monotonic() - seconds
        with self._lock:
            series = self._series.get((endpoint, variant))
            if series is None:
                return 0
            times = [s[0] for s in series.samples]
        return len(times) - bisect.bisect_left(times, since)

    def summary(self, endpoint: str, variant: str, seconds: float = 60.0) -> dict[str, Any]:
        """Counts and latency percentiles (ms) over the last ``seconds``."""
        since = time.monotonic() - seconds
        with self._lock:
            series = self._series.get((endpoint, variant))
            recent = [s for s in series.samples if s[0] >= since] if series else []
            total = series.total if series else 0
        latencies = sorted(s[1] * 1000 for s in recent)

        def pct(q: float) -> float | None:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else None

        return {
            "Invocations": len(recent),
            "InvocationsTotal": total,
            "Invocation4XXErrors": sum(1 for s in recent if 400 <= s[2] < 500),
            "Invocation5XXErrors": sum(1 for s in recent if s[2] >= 500),
            "ModelLatencyP50Ms": pct(0.5),
            "ModelLatencyP99Ms": pct(0.99),
        }
