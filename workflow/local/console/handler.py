"""Routes under ``/console``: static pages, the input schema, graphs and job files."""
from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from workflow.local.console import job_files
from workflow.local.console.job_artifacts import job_artifacts
from workflow.local.console.pipeline import pipeline_document
from workflow.local.mlflow_lookup import execution_run_url

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/console"
Answer = tuple[int, dict[str, str], bytes]
_NO_STORE = {"Cache-Control": "no-store"}


def _json(status: int, document: Any) -> Answer:
    body = json.dumps(document, default=str).encode()
    return status, {"Content-Type": "application/json", **_NO_STORE}, body


def _error(status: int, code: str, message: str) -> Answer:
    return _json(status, {"__type": code, "message": message})


def _static(rel: str) -> Answer:
    path = (STATIC / rel).resolve()
    if STATIC not in path.parents or not path.is_file():
        return _error(404, "ResourceNotFound", f"no console file {rel}")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type.endswith("javascript"):
        content_type += "; charset=utf-8"
    return 200, {"Content-Type": content_type, **_NO_STORE}, path.read_bytes()


def handle(method: str, path: str, query: Mapping[str, Any], body: bytes, *,
           endpoint_url: str | None = None, data_dir: Path | str | None = None,
           mlflow_url: str | None = None) -> Answer | None:
    """The answer to one console request, or None when ``path`` is not the console's.

    ``mlflow_url``: the MLflow tracking server beside the local server (None: none runs)."""
    if path != PREFIX and not path.startswith(PREFIX + "/"):
        return None
    if method not in ("GET", "HEAD"):
        return _error(405, "MethodNotAllowed", "the console's own routes are read-only; "
                      "changes go through the AWS APIs at POST /")
    rel = path[len(PREFIX):].strip("/")
    if rel in ("", "index.html"):
        return _static("index.html")
    if rel.startswith("static/"):
        return _static(rel[len("static/"):])
    if rel == "pipeline.json":
        return _json(200, pipeline_document(Path(data_dir) if data_dir else None))
    if rel in ("graph.svg", "status.json"):
        if endpoint_url is None:
            return _error(503, "ServiceUnavailable", "the console is not attached to a server")
        # deferred to the first graph: drawing imports the Graphviz engines (0.17 s, -X importtime)
        from workflow.local.console.graphs import graph_answer

        return graph_answer(rel, query, endpoint_url)
    if rel.startswith("jobs/") and rel.endswith("/artifacts"):
        return _artifacts(rel[len("jobs/"):-len("/artifacts")], endpoint_url)
    if rel in ("progress.json", "schedules.json"):
        if endpoint_url is None:
            return _error(503, "ServiceUnavailable", "the console is not attached to a server")
        # deferred to the first live page: it imports the pipeline's progress readers (1.7 s,
        # -X importtime), which the other pages never need
        from workflow.local.console.live import progress_document, schedules_document

        return _json(*(progress_document(query, endpoint_url) if rel == "progress.json"
                       else schedules_document(endpoint_url)))
    if rel.startswith("jobs/"):
        return _job(rel[len("jobs/"):], data_dir)
    if rel == "mlflow.json":
        return _json(200, _mlflow(mlflow_url, (query.get("execution") or [""])[0]))
    return _error(404, "ResourceNotFound", f"no console page {path}")


def _artifacts(name: str, endpoint_url: str | None) -> Answer:
    if endpoint_url is None:
        return _error(503, "ServiceUnavailable", "the console is not attached to a server")
    if not job_files.NAME.match(name):
        return _error(400, "ValidationException", f"training job name {name!r} is not valid")
    try:
        return _json(200, job_artifacts(name, endpoint_url))
    except ClientError as err:
        error = err.response["Error"]
        return _error(404 if "not found" in error.get("Message", "").lower() else 400,
                      error.get("Code", "ClientError"), error.get("Message", str(err)))


def _mlflow(mlflow_url: str | None, execution_arn: str) -> dict[str, Any]:
    """The tracking server's UI and, for an execution, its parent run there (None when unknown)."""
    run_url = None
    if mlflow_url and execution_arn:
        run_url = execution_run_url(mlflow_url, execution_arn)
    return {"tracking_url": mlflow_url, "run_url": run_url}


def _job(rel: str, data_dir: Path | str | None) -> Answer:
    name, _, kind = rel.partition("/")
    if data_dir is None or job_files.job_folder(Path(data_dir), name) is None:
        return _error(400, "ValidationException", f"training job name {name!r} is not valid")
    if not kind:
        return _json(200, {"TrainingJobName": name, "files": job_files.available(Path(data_dir), name)})
    found = job_files.read(Path(data_dir), name, kind)
    if found is None:
        return _error(404, "ResourceNotFound", f"training job {name} has no {kind} file here")
    data, content_type = found
    return 200, {"Content-Type": content_type, **_NO_STORE}, data
