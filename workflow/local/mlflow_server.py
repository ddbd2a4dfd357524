"""The MLflow tracking server that runs beside the local server (SageMaker AI MLflow on AWS).

A real MLflow server: its backend store is SQLite and its artifacts are files,
both under ``<data_dir>/mlflow/``; it listens on 127.0.0.1 only. It starts
when the local server starts, without holding it up (it is ready seconds later;
training jobs that start before then wait for it on a thread of their own), and
stops with it.

It runs MLflow's ASGI application under uvicorn in one process, configured as
``mlflow server`` configures it (``SERVER_ENVIRONMENT``): ``mlflow server`` itself
imports MLflow once more in a supervising process and starts job-execution
workers, which cost a two-core machine seconds of CPU while the first training
jobs start (measured: 11 s of CPU against 6 s).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from workflow.local.process_groups import signal_group

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
FOLDER = "mlflow"
LOG_FILE = "mlflow.log"
APP = "mlflow.server.fastapi_app:app"
STOP_SECONDS = 10.0
READY_SECONDS = 180.0


def server_environment(folder: Path) -> dict[str, str]:
    """What ``mlflow server --backend-store-uri sqlite:///... --artifacts-destination ...
    --serve-artifacts`` hands its workers (mlflow.server.constants; a test checks the names)."""
    return {
        "_MLFLOW_SERVER_FILE_STORE": f"sqlite:///{folder / 'mlflow.db'}",
        "_MLFLOW_SERVER_REGISTRY_STORE": f"sqlite:///{folder / 'mlflow.db'}",
        "_MLFLOW_SERVER_ARTIFACT_ROOT": "mlflow-artifacts:/",
        "_MLFLOW_SERVER_SERVE_ARTIFACTS": "true",
        "_MLFLOW_SERVER_ARTIFACT_DESTINATION": str(folder / "artifacts"),
        # Job execution (GenAI evaluation workers) is not used by the pipeline.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def available() -> bool:
    return importlib.util.find_spec("mlflow") is not None and importlib.util.find_spec("uvicorn") is not None


class TrackingServer:
    """One MLflow server process in a session of its own; ``url`` is known before it is up."""

    def __init__(self, data_dir: Path, port: int = 0) -> None:
        self.folder = Path(data_dir) / FOLDER
        self.port = port or free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.ready = threading.Event()

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "artifacts").mkdir(exist_ok=True)
        with open(self.folder / LOG_FILE, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--host", HOST, "--port", str(self.port),
                 "--workers", "1", "--no-access-log", APP],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.folder,
                env={**os.environ, **server_environment(self.folder)})
        threading.Thread(target=self._warm_up, name="mlflow-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        """Wait until it answers, then open its store (the first request creates the tables)."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline and self.process is not None and self.process.poll() is None:
            try:
                request = urllib.request.Request(
                    f"{self.url}/api/2.0/mlflow/experiments/search", data=b'{"max_results": 1}',
                    headers={"Content-Type": "application/json"}, method="POST")
                with urllib.request.urlopen(request, timeout=30) as answer:
                    if answer.status == 200:
                        self.ready.set()
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        log.warning("the MLflow tracking server at %s did not start; see %s", self.url,
                    self.folder / LOG_FILE)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        if not signal_group(process.pid, signal.SIGTERM):
            return
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            signal_group(process.pid)
            process.wait(STOP_SECONDS)
