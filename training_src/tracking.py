"""MLflow tracking of one training job, on a thread of its own so training never waits for it.

On when ``MLFLOW_TRACKING_URI`` is set (an ``http(s)://`` server, or on AWS the
ARN of a SageMaker AI MLflow tracking server, which the ``sagemaker-mlflow``
plugin signs for) and is not ``none`` (what the pipeline passes when nothing is
tracked). The job logs, into the experiment ``MLFLOW_EXPERIMENT_NAME``:

* a run named after the job (``TRAINING_JOB_NAME``) with its arguments as
  parameters, each epoch's metrics, the test metrics, the five checks' verdicts
  (``rule.<Rule>`` metrics and tags), ``diagnostics.json``,
  ``profile-summary.json``, ``loss-curve.png`` and the model directory;
* with ``PIPELINE_EXECUTION_ARN``, that run nested under the execution's parent
  run (found by its tags, or created by whichever job of the execution comes
  first: two tuning jobs starting together both create one, and the later one
  deletes its own);
* with ``PIPELINE_STEP=training`` (the final job of a pipeline run), the model
  registered as a new version of ``dog-breed-classifier``, tagged with the test
  accuracy, the execution ARN and the job.

A server that is still starting is waited for (``CONNECT_SECONDS``, or
``TRACKING_CONNECT_SECONDS``) while the job trains, and at the end of the job
for at most ``END_CONNECT_SECONDS`` more; one that cannot be reached, or that
fails a call, is reported once on stderr and tracking stops there: training
goes on and succeeds regardless.
"""
from __future__ import annotations

import importlib
import os
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

MODEL_NAME = "dog-breed-classifier"
TRACKING_OFF = "none"
PARENT_ROLE = "execution"
#: How long a job waits for a tracking server that does not answer yet (it may be starting).
CONNECT_SECONDS = 120.0
#: How long the end of a job still waits for a server that has not answered yet.
END_CONNECT_SECONDS = 30.0
#: How long the end of the job waits for what is still to be logged.
FINISH_SECONDS = 90.0
PARAM_LIMIT = 6000  # MLflow's maximum length of a parameter value


class TrackingUnavailable(RuntimeError):
    pass


def log(message: str) -> None:
    print(f"MLflow: {message}", file=sys.stderr, flush=True)


class Tracker:
    def __init__(self, uri: str, experiment: str, job: str, execution_arn: str | None,
                 step: str | None) -> None:
        self.uri, self.experiment, self.job = uri, experiment, job
        self.execution_arn, self.step = execution_arn, step
        self.run_id: str | None = None
        self.run_url: str | None = None
        self.model_version: int | None = None
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        self._connected = threading.Event()
        self._started = time.monotonic()
        self.connect_seconds = float(os.environ.get("TRACKING_CONNECT_SECONDS") or CONNECT_SECONDS)
        self._thread = threading.Thread(target=self._work, name="mlflow-tracking", daemon=True)

    @classmethod
    def from_environment(cls, default_job: str) -> Tracker | None:
        uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
        if uri in ("", TRACKING_OFF):
            return None
        return cls(uri, os.environ.get("MLFLOW_EXPERIMENT_NAME") or "dog-breed-pipeline",
                   os.environ.get("TRAINING_JOB_NAME") or default_job,
                   os.environ.get("PIPELINE_EXECUTION_ARN") or None,
                   os.environ.get("PIPELINE_STEP") or None)

    # -- the training thread's side: never blocks ---------------------------------------
    def start(self, params: dict[str, Any]) -> Tracker:
        self._queue.put(("params", params))
        self._thread.start()
        return self

    def epoch(self, epoch: int, metrics: dict[str, float]) -> None:
        self._queue.put(("metrics", (epoch, metrics)))

    def finish(self, metrics: dict[str, float], verdicts: dict[str, bool], files: list[Path],
               model_dir: Path, tags: dict[str, str], timeout: float = FINISH_SECONDS) -> int | None:
        """Log the results, register the model when this is a pipeline's final job; waits at
        most ``timeout`` seconds; returns the registered version, if any."""
        self._queue.put(("finish", (metrics, verdicts, files, model_dir, tags)))
        self._queue.put(("stop", None))
        left = self.connect_seconds - (time.monotonic() - self._started)
        if not self._connected.wait(max(0.0, min(left, END_CONNECT_SECONDS))):
            if self._thread.is_alive():
                log(f"no tracking server answered at {self.uri}; the job ends without tracking")
            return None
        self._thread.join(timeout)
        if self._thread.is_alive():
            log(f"still busy after {timeout:.0f} s; the job ends without waiting for it")
        return self.model_version

    def failed(self, reason: str, timeout: float = 10.0) -> None:
        """The job failed: end its run as FAILED (if it got that far)."""
        self._queue.put(("failure", reason))
        self._queue.put(("stop", None))
        if self._thread.is_alive():
            self._thread.join(timeout)

    # -- the tracking thread -------------------------------------------------------------
    def _work(self) -> None:
        try:
            client = self._connect()
            while True:
                kind, value = self._queue.get()
                if kind == "stop":
                    return
                getattr(self, f"_{kind}")(client, value)
        except Exception as err:  # noqa: BLE001 - tracking must never fail the job
            log(f"tracking stopped: {type(err).__name__}: {str(err)[:500]}; training goes on")

    def _connect(self) -> Any:
        # MLflow's client retries a refused connection for minutes by default.
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
        if self.uri.startswith(("http://", "https://")):
            wait_until_up(self.uri, self.connect_seconds)
        # Imported here, on this thread: MLflow takes seconds to import, which would
        # otherwise delay the first training step.
        tracking = importlib.import_module("mlflow.tracking")
        client = tracking.MlflowClient(tracking_uri=self.uri)
        self._connected.set()
        return client

    def _params(self, client: Any, params: dict[str, Any]) -> None:
        from mlflow.entities import Param
        from mlflow.exceptions import MlflowException

        experiment = client.get_experiment_by_name(self.experiment)
        if experiment is None:
            try:
                experiment_id = client.create_experiment(self.experiment)
            except MlflowException:  # another job of this run created it first
                experiment_id = client.get_experiment_by_name(self.experiment).experiment_id
        else:
            experiment_id = experiment.experiment_id
        tags = {"sagemaker.training_job": self.job}
        if self.step:
            tags["pipeline.step"] = self.step
        if self.execution_arn:
            tags["pipeline.execution_arn"] = self.execution_arn
            tags["mlflow.parentRunId"] = self._parent(client, experiment_id)
        run = client.create_run(experiment_id, run_name=self.job, tags=tags)
        self.run_id = run.info.run_id
        self.run_url = run_url(self.uri, experiment_id, self.run_id)
        client.log_batch(self.run_id, params=[Param(k, str(v)[:PARAM_LIMIT]) for k, v in sorted(params.items())])
        log(f"tracking run {self.run_id} in experiment {self.experiment!r}"
            + (f": {self.run_url}" if self.run_url else ""))

    def _parent(self, client: Any, experiment_id: str) -> str:
        query = (f"tags.`pipeline.execution_arn` = '{self.execution_arn}' "
                 f"and tags.`pipeline.role` = '{PARENT_ROLE}'")

        def parents() -> list[Any]:
            return client.search_runs([experiment_id], query, order_by=["attributes.start_time ASC"],
                                      max_results=10)

        found = parents()
        if found:
            return found[0].info.run_id
        assert self.execution_arn is not None  # a parent run exists only for an execution
        name = self.execution_arn.rsplit(":", 1)[-1]
        mine = client.create_run(experiment_id, run_name=name, tags={
            "pipeline.execution_arn": self.execution_arn, "pipeline.role": PARENT_ROLE}).info.run_id
        # Jobs starting together may each have created one: all keep the oldest.
        first = sorted(parents(), key=lambda r: (r.info.start_time, r.info.run_id))[0].info.run_id
        if first != mine:
            client.delete_run(mine)
        return first

    def _metrics(self, client: Any, value: tuple[int, dict[str, float]]) -> None:
        from mlflow.entities import Metric

        epoch, metrics = value
        now = int(time.time() * 1000)
        client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, epoch) for k, v in metrics.items()])

    def _finish(self, client: Any, value: tuple) -> None:
        from mlflow.entities import Metric, RunTag

        metrics, verdicts, files, model_dir, tags = value
        now = int(time.time() * 1000)
        client.log_batch(
            self.run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in metrics.items()]
            + [Metric(f"rule.{rule}", float(issues), now, 0) for rule, issues in verdicts.items()],
            tags=[RunTag(f"rule.{rule}", "IssuesFound" if issues else "NoIssuesFound")
                  for rule, issues in verdicts.items()] + [RunTag(k, v) for k, v in tags.items()])
        try:
            for path in files:
                if Path(path).is_file():
                    client.log_artifact(self.run_id, str(path), "diagnostics")
            client.log_artifacts(self.run_id, str(model_dir), "model")
        except Exception as err:  # noqa: BLE001 - an artifact store this job may not write to
            # (on AWS, the tracking server's S3 bucket) loses the files, not the run or the registry.
            log(f"artifacts not logged: {type(err).__name__}: {str(err)[:300]}")
        if self.step == "training":
            self._register(client, metrics, tags)
        client.set_terminated(self.run_id, "FINISHED")

    def _failure(self, client: Any, reason: str) -> None:
        client.set_tag(self.run_id, "failure_reason", reason[:5000])
        client.set_terminated(self.run_id, "FAILED")

    def _register(self, client: Any, metrics: dict[str, float], tags: dict[str, str]) -> None:
        from mlflow.exceptions import MlflowException

        try:
            client.create_registered_model(MODEL_NAME)
        except MlflowException as err:
            if err.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        source = client.get_run(self.run_id).info.artifact_uri.rstrip("/") + "/model"
        version_tags = {"training_job": self.job, **tags}
        if "test_accuracy" in metrics:
            version_tags["test_accuracy"] = f"{metrics['test_accuracy']:.4f}"
        if self.execution_arn:
            version_tags["execution_arn"] = self.execution_arn
        version = client.create_model_version(MODEL_NAME, source, run_id=self.run_id, tags=version_tags)
        self.model_version = int(version.version)
        log(f"registered {MODEL_NAME} version {self.model_version}")


def wait_until_up(uri: str, timeout: float) -> None:
    """Until the server answers /health; TrackingUnavailable when it never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        if time.monotonic() > deadline:
            raise TrackingUnavailable(f"no tracking server answers at {uri} (waited {timeout:.0f} s)")
        time.sleep(0.5)


def run_url(uri: str, experiment_id: str, run_id: str) -> str | None:
    """Where the MLflow UI shows a run (for an http(s) server)."""
    if not uri.startswith(("http://", "https://")):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def epoch_metrics(row: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in row.items() if k != "epoch" and isinstance(v, (int, float))}

