"""Smoke test of a freshly deployed endpoint on held-out test images.

Each image is checked for: a successful invocation, the answer's JSON shape
(``predictions``: best-first list of ``{label, probability}``), a label that
is one of the manifest's breeds, and latency within the limit. One warm-up
request is sent first and not timed: the first request of a new worker
loads the model lazily on some containers.
"""
from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared import storage

CONTENT_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}

#: ``invoke(body, content_type) -> (answer bytes)``; raises on an endpoint error.
Invoke = Callable[[bytes, str], bytes]


class SmokeTestFailed(Exception):
    """The endpoint failed a check; the message is the JSON report."""


@dataclass
class Report:
    endpoint_name: str
    failures: list[dict[str, str]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, image: str, check: str, detail: str) -> None:
        self.failures.append({"image": image, "check": check, "detail": detail})

    def as_dict(self) -> dict[str, Any]:
        latencies = [r["latency_ms"] for r in self.results]
        return {
            "endpoint_name": self.endpoint_name,
            "passed": not self.failures and bool(self.results),
            "images": len(self.results),
            "top1_correct": sum(r["predicted"] == r["expected"] for r in self.results),
            "latency_ms": {"p50": round(statistics.median(latencies), 1) if latencies else None,
                           "max": round(max(latencies), 1) if latencies else None},
            "failures": self.failures,
            "results": self.results,
        }


def pick_images(test_uri: str, count: int) -> list[tuple[str, str]]:
    """``count`` test images, one class after another (deterministic), as (uri, class)."""
    by_class: dict[str, list[str]] = defaultdict(list)
    for uri in storage.list_uris(test_uri):
        suffix = "." + uri.rsplit(".", 1)[-1].lower()
        if suffix in CONTENT_TYPES:
            by_class[uri.rstrip("/").split("/")[-2]].append(uri)
    picked: list[tuple[str, str]] = []
    queues = {label: sorted(uris) for label, uris in sorted(by_class.items())}
    while len(picked) < count and any(queues.values()):
        for label, uris in queues.items():
            if uris and len(picked) < count:
                picked.append((uris.pop(0), label))
    return picked


def _shape_problem(answer: Any) -> str | None:
    if not isinstance(answer, dict) or not isinstance(answer.get("predictions"), list):
        return 'the answer has no "predictions" list'
    predictions = answer["predictions"]
    if not predictions:
        return '"predictions" is empty'
    for item in predictions:
        if not isinstance(item, dict) or not isinstance(item.get("label"), str):
            return 'a prediction has no string "label"'
        probability = item.get("probability")
        if not isinstance(probability, (int, float)) or not 0.0 <= probability <= 1.0:
            return f'prediction {item.get("label")!r} has probability {probability!r}, not in [0, 1]'
    probabilities = [p["probability"] for p in predictions]
    if probabilities != sorted(probabilities, reverse=True):
        return "predictions are not ordered best first"
    return None


def run_smoke_test(endpoint_name: str, invoke: Invoke, images: list[tuple[str, str]],
                   classes: set[str], max_latency_ms: float) -> dict[str, Any]:
    report = Report(endpoint_name)
    if not images:
        report.fail("-", "images", "no test images found to send")
        return report.as_dict()
    bodies = [(uri, label, storage.read_bytes(uri)) for uri, label in images]
    first_uri, _, first_body = bodies[0]
    try:
        invoke(first_body, CONTENT_TYPES["." + first_uri.rsplit(".", 1)[-1].lower()])
    except Exception:  # noqa: BLE001 - the timed request below reports the error
        pass
    for uri, label, body in bodies:
        content_type = CONTENT_TYPES["." + uri.rsplit(".", 1)[-1].lower()]
        started = time.perf_counter()
        try:
            raw = invoke(body, content_type)
        except Exception as err:  # noqa: BLE001 - any endpoint error is a failed check
            report.fail(uri, "status", f"{type(err).__name__}: {err}")
            continue
        latency = (time.perf_counter() - started) * 1000
        try:
            answer = json.loads(raw)
        except ValueError as err:
            report.fail(uri, "shape", f"the answer is not JSON: {err}")
            continue
        problem = _shape_problem(answer)
        if problem:
            report.fail(uri, "shape", problem)
            continue
        top = answer["predictions"][0]
        if top["label"] not in classes:
            report.fail(uri, "label", f"label {top['label']!r} is not one of the dataset's breeds")
        if latency > max_latency_ms:
            report.fail(uri, "latency", f"{latency:.0f} ms is over the limit of {max_latency_ms:.0f} ms")
        report.results.append({"image": uri, "expected": label, "predicted": top["label"],
                               "probability": round(float(top["probability"]), 4),
                               "latency_ms": round(latency, 1)})
    return report.as_dict()
