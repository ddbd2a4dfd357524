"""The registry side of a deployment: alias the served version, close the execution's run."""
from __future__ import annotations

from typing import Any

MODEL_NAME = "dog-breed-classifier"
ALIAS = "champion"
PARENT_ROLE = "execution"  # the tag train.py gives an execution's parent run


def promote(client: Any, version: int, execution_arn: str, endpoint_name: str) -> dict[str, Any]:
    """``champion`` -> ``version`` of ``dog-breed-classifier``; the execution's parent run ends
    FINISHED with the champion version as a tag."""
    client.set_registered_model_alias(MODEL_NAME, ALIAS, str(version))
    client.set_model_version_tag(MODEL_NAME, str(version), "endpoint", endpoint_name)
    run_id = client.get_model_version(MODEL_NAME, str(version)).run_id
    if run_id:
        experiment_id = client.get_run(run_id).info.experiment_id
        query = (f"tags.`pipeline.execution_arn` = '{execution_arn}' "
                 f"and tags.`pipeline.role` = '{PARENT_ROLE}'")
        for run in client.search_runs([experiment_id], query, max_results=1):
            client.set_tag(run.info.run_id, f"{ALIAS}_version", str(version))
            client.set_terminated(run.info.run_id, "FINISHED")
    return {"promoted": True, "model": MODEL_NAME, "version": version, "alias": ALIAS, "reason": ""}
