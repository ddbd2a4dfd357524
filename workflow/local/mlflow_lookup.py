"""Where the MLflow UI shows an execution's run, asked of the tracking server's REST API.

The command line's summary and the console ask this once per run; they talk to
the REST API (``runs/search``, ``experiments/search``) with the standard library
instead of importing MLflow's client, which takes seconds to import and would
hold up the end of every ``run`` and the server's first console page.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

#: The tag train.py gives the parent run of a pipeline execution (training_src/tracking.py).
EXECUTION_TAG = "pipeline.execution_arn"
ROLE_TAG = "pipeline.role"


def _post(tracking_url: str, path: str, body: dict[str, Any], timeout: float) -> dict[str, Any]:
    request = urllib.request.Request(f"{tracking_url.rstrip('/')}/api/2.0/mlflow/{path}",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.loads(answer.read() or b"{}")


def execution_run_url(tracking_url: str, execution_arn: str, timeout: float = 5.0) -> str | None:
    """The UI address of ``execution_arn``'s parent run, or None (no server, no such run)."""
    try:
        experiments = _post(tracking_url, "experiments/search", {"max_results": 1000}, timeout)
        ids = [e["experiment_id"] for e in experiments.get("experiments", [])]
        if not ids:
            return None
        query = f"tags.`{EXECUTION_TAG}` = '{execution_arn}' and tags.`{ROLE_TAG}` = 'execution'"
        runs = _post(tracking_url, "runs/search", {"experiment_ids": ids, "filter": query,
                                                   "max_results": 1}, timeout).get("runs", [])
    except (OSError, urllib.error.URLError, ValueError, KeyError):
        return None
    if not runs:
        return None
    info = runs[0]["info"]
    return f"{tracking_url.rstrip('/')}/#/experiments/{info['experiment_id']}/runs/{info['run_id']}"
