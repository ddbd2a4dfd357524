"""The MLflow tracking server beside the local server: configured as `mlflow server` configures it."""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

from workflow.local.__main__ import mlflow_port
from workflow.local.mlflow_server import server_environment


def mlflow_server_constants() -> dict[str, str]:
    """mlflow/server/constants.py's names, read without importing MLflow (seconds)."""
    path = Path(importlib.util.find_spec("mlflow").origin).parent / "server" / "constants.py"
    tree = ast.parse(path.read_text())
    return {node.targets[0].id: node.value.value for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            and isinstance(node.targets[0], ast.Name)}


def test_the_server_environment_uses_mlflows_own_variable_names(tmp_path: Path) -> None:
    constants = mlflow_server_constants()
    env = server_environment(tmp_path)
    for name in ("BACKEND_STORE_URI_ENV_VAR", "REGISTRY_STORE_URI_ENV_VAR", "ARTIFACT_ROOT_ENV_VAR",
                 "SERVE_ARTIFACTS_ENV_VAR", "ARTIFACTS_DESTINATION_ENV_VAR"):
        assert constants[name] in env, name
    assert env[constants["BACKEND_STORE_URI_ENV_VAR"]] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert env[constants["ARTIFACTS_DESTINATION_ENV_VAR"]] == str(tmp_path / "artifacts")


def test_the_tracking_port_follows_the_servers_unless_given() -> None:
    assert mlflow_port(4580, None) == 4581
    assert mlflow_port(0, None) == 0  # a free port, like the server's
    assert mlflow_port(4580, 5015) == 5015
    assert mlflow_port(4580, -1) is None
