"""The running side of an endpoint: worker processes per variant, and routing to them.

Routing, the traffic switch of an update and draining share one condition
variable: a request picks its worker and counts itself in flight under the same
lock that swaps the variant set, so once a swap returns no request can reach a
retired worker, and a retired worker is stopped only when its count is zero.
"""
from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from workflow.local.sagemaker.hosting.worker import Worker, WorkerSpec

START_TIMEOUT = 300.0


@dataclass
class Variant:
    name: str
    weight: float
    spec: WorkerSpec
    workers: list[Worker] = field(default_factory=list)
    #: How many workers the variant should have (DesiredInstanceCount).
    desired: int = 1


class NoWorkerAvailable(Exception):
    pass


def launch(spec: WorkerSpec, variant: str, count: int, timeout: float = START_TIMEOUT) -> list[Worker]:
    """Start ``count`` workers in parallel and wait until all answer /ping; all or none."""
    workers = [Worker(spec=spec, variant=variant) for _ in range(count)]
    try:
        for worker in workers:
            worker.start()
        if workers:
            with ThreadPoolExecutor(len(workers)) as pool:
                list(pool.map(lambda w: w.wait_ready(timeout), workers))
    except BaseException:
        stop_all(workers)
        raise
    return workers


def stop_all(workers: Iterable[Worker]) -> None:
    workers = list(workers)
    if workers:
        with ThreadPoolExecutor(len(workers)) as pool:
            list(pool.map(lambda w: w.stop(), workers))


class LiveEndpoint:
    def __init__(self, name: str, variants: dict[str, Variant], seed: int | None = None) -> None:
        self.name = name
        self.variants = variants
        self.cond = threading.Condition()
        self.rng = random.Random(seed)
        self._rr = 0

    # -- routing ------------------------------------------------------------
    def _pick_variant(self, target: str | None) -> Variant:
        if target is not None:
            return self.variants[target]
        variants = [v for v in self.variants.values() if v.weight > 0] or list(self.variants.values())
        if len(variants) == 1:
            return variants[0]
        return self.rng.choices(variants, weights=[v.weight or 1 for v in variants])[0]

    def acquire(self, target: str | None, timeout: float) -> tuple[Variant, Worker]:
        """The least busy live worker (round robin among equals), counted in flight.

        Waits up to ``timeout`` when the variant has no live worker (a crashed one
        is being replaced). KeyError when ``target`` names no variant.
        """
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                variant = self._pick_variant(target)
                live = [w for w in variant.workers if not w.retiring and w.alive]
                if live:
                    self._rr += 1
                    worker = min(
                        live, key=lambda w: (w.in_flight, (w.id + self._rr) % len(live))
                    )
                    worker.in_flight += 1
                    return variant, worker
                left = deadline - time.monotonic()
                if left <= 0:
                    raise NoWorkerAvailable(f"No instance of variant {variant.name} is available")
                self.cond.wait(min(left, 0.2))

    def release(self, worker: Worker) -> None:
        with self.cond:
            worker.in_flight -= 1
            self.cond.notify_all()

    def workers(self) -> list[Worker]:
        with self.cond:
            return [w for v in self.variants.values() for w in v.workers]

    def in_flight(self, variant: str) -> int:
        with self.cond:
            v = self.variants.get(variant)
            return sum(w.in_flight for w in v.workers) if v else 0

    # -- changes ------------------------------------------------------------
    def swap(self, variants: dict[str, Variant]) -> list[Worker]:
        """Switch all traffic to ``variants`` at once; returns the workers left behind."""
        with self.cond:
            old = [w for v in self.variants.values() for w in v.workers]
            self.variants = variants
            for worker in old:
                worker.retiring = True
            self.cond.notify_all()
        return old

    def add(self, variant: str, workers: list[Worker]) -> None:
        with self.cond:
            self.variants[variant].workers.extend(workers)
            self.cond.notify_all()

    def take_out(self, variant: str, count: int) -> list[Worker]:
        """Remove ``count`` workers from routing (the least busy first) and return them."""
        with self.cond:
            v = self.variants[variant]
            chosen = sorted(v.workers, key=lambda w: w.in_flight)[:count]
            for worker in chosen:
                worker.retiring = True
                v.workers.remove(worker)
            return chosen

    def replace(self, dead: Worker, new: Worker) -> bool:
        """Put ``new`` where ``dead`` was; False when ``dead`` is no longer routed."""
        with self.cond:
            v = self.variants.get(dead.variant)
            if v is None or dead not in v.workers:
                return False
            v.workers[v.workers.index(dead)] = new
            self.cond.notify_all()
            return True

    def drain(self, workers: list[Worker], timeout: float) -> None:
        """Wait until no request is in flight on ``workers`` (bounded by ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while any(w.in_flight and w.alive for w in workers):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)

    def retire(self, workers: list[Worker], timeout: float) -> None:
        self.drain(workers, timeout)
        stop_all(workers)
