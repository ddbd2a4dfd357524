"""Fixtures that start the real local server as a process and talk to it over HTTP.

``start_local_server(data_dir, time_scale=1.0, port=None)`` is the factory
other tests build on; ``local_server`` is one server for the whole session,
``fresh_local_server`` a new one per test.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from workflow.local import lifecycle

REGION = "us-east-1"


class LocalServerHandle:
    """A running local server process."""

    def __init__(self, state: lifecycle.ServerState, process: subprocess.Popen[bytes]) -> None:
        self.state = state
        self.process = process
        self.endpoint_url = state.endpoint_url
        self.data_dir = state.data_dir
        self.port = state.port
        self.time_scale = state.time_scale
        self.mlflow_url = state.mlflow_url

    def client(self, service_name: str, **config: Any) -> Any:
        """A boto3 client with dummy credentials; no retries, so errors surface at once."""
        settings: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 1},
                                    "read_timeout": 300, "connect_timeout": 10}
        settings.update(config)
        return boto3.session.Session(
            aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION,
        ).client(service_name, endpoint_url=self.endpoint_url, config=Config(**settings))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> None:
        """Graceful stop (SIGTERM), as ``local down`` does."""
        if self.alive:
            lifecycle.terminate(self.process.pid, timeout=timeout)
        self._reap()

    def kill(self) -> None:
        """SIGKILL the server and its process group: a crash, nothing cleaned up."""
        lifecycle.kill_group(self.process.pid)
        self._reap()

    def _reap(self) -> None:
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            lifecycle.kill_group(self.process.pid)
            self.process.wait(timeout=15)


def start_local_server(
    data_dir: Path | str, time_scale: float = 1.0, port: int | None = None, mlflow: bool = False,
) -> LocalServerHandle:
    """``mlflow``: with the MLflow tracking server beside it (seconds of CPU to start: only
    for the tests that look at tracking)."""
    state, process = lifecycle.start(data_dir, port=port or 0, time_scale=time_scale,
                                     mlflow_port=0 if mlflow else -1)
    return LocalServerHandle(state, process)


@pytest.fixture(scope="session")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServerHandle]:
    server = start_local_server(tmp_path_factory.mktemp("local-server"), time_scale=10.0)
    yield server
    server.stop()


@pytest.fixture
def fresh_local_server(tmp_path: Path) -> Iterator[LocalServerHandle]:
    server = start_local_server(tmp_path / "server", time_scale=10.0)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def module_local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServerHandle]:
    """A server of one test module alone, at real time."""
    server = start_local_server(tmp_path_factory.mktemp("module-server"))
    yield server
    server.stop()
