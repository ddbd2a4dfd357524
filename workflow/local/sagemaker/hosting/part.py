"""The hosting part of the local SageMaker service: models, endpoint configs, endpoints.

Besides the operations it keeps the endpoints' workers healthy (a monitor thread
replaces a worker that died) and brings endpoints back when the server restarts.
"""
from __future__ import annotations

import functools
import logging
import threading

from workflow.local import background
from workflow.local.context import ServerContext
from workflow.local.sagemaker.hosting.endpoints import EndpointOperations
from workflow.local.sagemaker.hosting.fleet import LiveEndpoint, launch, stop_all
from workflow.local.sagemaker.hosting.records import (
    CONFIG,
    ENDPOINT,
    MODEL,
    EndpointConfigRecord,
    EndpointRecord,
    ModelRecord,
)
from workflow.local.sagemaker.hosting.worker import Worker, WorkerStartError
from workflow.local.sagemaker.record_table import RecordTable
from workflow.local.sagemaker.statuses import EndpointStatus

log = logging.getLogger(__name__)

MONITOR_PERIOD = 0.25


class Hosting(EndpointOperations):
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self.models = RecordTable[ModelRecord](ctx.store, MODEL)
        self.configs = RecordTable[EndpointConfigRecord](ctx.store, CONFIG)
        self.endpoints = RecordTable[EndpointRecord](ctx.store, ENDPOINT)
        self.fleets: dict[str, LiveEndpoint] = {}
        self.lock = threading.RLock()
        self.stopping = False
        self.replacements = 0
        self._replacing: set[int] = set()
        self._stop = threading.Event()
        self._monitor: background.BackgroundTask | None = None

    def live(self, name: str) -> LiveEndpoint | None:
        """The running workers of an endpoint (None when it has none), for the runtime."""
        return self.fleets.get(name)

    def endpoint_record(self, name: str) -> EndpointRecord | None:
        return self.endpoints.get(name)

    # -- server lifecycle --------------------------------------------------------
    def start(self) -> None:
        for doc in self.endpoints.list():
            self._restore(doc)
        # A monitor that breaks stops replacing workers: the error is logged, nothing else to do.
        self._monitor = background.start("endpoint-monitor", self._watch, lambda err: None)

    def shutdown(self) -> None:
        with self.lock:
            self.stopping = True
            fleets, self.fleets = list(self.fleets.values()), {}
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=5)
        # Stored statuses stay as they are: the next start() brings these endpoints back.
        stop_all(w for live in fleets for w in live.workers())

    def _restore(self, doc: EndpointRecord) -> None:
        name, status = doc["EndpointName"], doc["EndpointStatus"]
        if status == EndpointStatus.DELETING:
            self.endpoints.delete(name)
            return
        if status == EndpointStatus.FAILED:
            return
        try:
            config = self.get_config(doc["EndpointConfigName"])
        except Exception as e:  # noqa: BLE001 - any lookup failure makes the endpoint Failed
            self._set(name, EndpointStatus=EndpointStatus.FAILED, FailureReason=f"Could not restore: {e}")
            return
        reason = None
        if status == EndpointStatus.UPDATING:
            reason = "The update was interrupted by a server restart; the previous configuration is kept."
        counts = {v["VariantName"]: v["DesiredInstanceCount"] for v in doc.get("ProductionVariants", [])}
        config = {**config, "ProductionVariants": [
            {**pv, "InitialInstanceCount": counts.get(pv["VariantName"], pv["InitialInstanceCount"])}
            for pv in config["ProductionVariants"]
        ]}
        # "Creating" until the workers answer /ping, then InService again.
        self._set(name, EndpointStatus=EndpointStatus.CREATING, FailureReason=reason)
        self._spawn(self._create, name, config)

    # -- crash monitor ------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stop.wait(MONITOR_PERIOD):
            with self.lock:
                fleets = list(self.fleets.items())
            for name, live in fleets:
                for worker in live.workers():
                    if worker.retiring or worker.alive or worker.id in self._replacing:
                        continue
                    self._replacing.add(worker.id)
                    log.warning("endpoint %s: worker %s exited (code %s); replacing it",
                                name, worker.id, worker.process.returncode if worker.process else None)
                    # A replacement that breaks leaves the others serving; the monitor tries again.
                    background.start(f"endpoint-replace-{name}",
                                     functools.partial(self._replace, live, worker),
                                     lambda err: None)

    def _replace(self, live: LiveEndpoint, dead: Worker) -> None:
        try:
            dead.stop()
            while not self._stop.is_set():
                try:
                    new = launch(dead.spec, dead.variant, 1)[0]
                    break
                except WorkerStartError as e:
                    log.error("endpoint %s: replacement worker failed: %s", live.name, e)
                    if self._stop.wait(1.0):
                        return
            else:
                return
            if self._stop.is_set() or not live.replace(dead, new):
                new.stop()
                return
            with self.lock:
                self.replacements += 1
        finally:
            self._replacing.discard(dead.id)
