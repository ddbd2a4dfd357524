"""System utilisation of a job's process tree over time (the profiler's system metrics)."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil


class SystemSampler:
    """Samples CPU and memory of a process and all its descendants every ``interval`` s.

    Each line of ``path`` is one sample: ``{"t": seconds since start, "cpu_percent":
    summed over the tree (100 = one core), "rss_bytes", "processes",
    "system_cpu_percent", "system_memory_percent"}``.
    """

    def __init__(self, path: Path, interval: float) -> None:
        self.path = path
        self.interval = max(0.05, interval)
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._known: dict[int, psutil.Process] = {}

    def start(self, pid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, args=(pid,), name=f"sampler-{pid}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _tree(self, root: psutil.Process) -> list[psutil.Process]:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        # cpu_percent needs the same Process object between calls to measure an interval.
        current = {p.pid: self._known.get(p.pid, p) for p in procs}
        self._known = current
        return list(current.values())

    def _sample(self, root: psutil.Process, started: float) -> dict | None:
        cpu, rss, alive = 0.0, 0, 0
        for proc in self._tree(root):
            try:
                cpu += proc.cpu_percent(None)
                rss += proc.memory_info().rss
                alive += 1
            except psutil.Error:
                continue
        if not alive:
            return None
        return {"t": round(time.monotonic() - started, 3), "cpu_percent": round(cpu, 1),
                "rss_bytes": rss, "processes": alive,
                "system_cpu_percent": psutil.cpu_percent(None),
                "system_memory_percent": psutil.virtual_memory().percent}

    def _run(self, pid: int) -> None:
        try:
            root = psutil.Process(pid)
        except psutil.Error:
            return
        started = time.monotonic()
        psutil.cpu_percent(None)
        with self.path.open("a") as out:
            while not self._done.wait(self.interval):
                sample = self._sample(root, started)
                if sample is None:
                    break
                out.write(json.dumps(sample) + "\n")
                out.flush()

