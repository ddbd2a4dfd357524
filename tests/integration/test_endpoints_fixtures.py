"""Shared pieces of the endpoint, invoke and autoscaling tests (no tests of its own).

A tiny model is trained once per session with training_src/train.py; small user
inference modules (echo, slow, failing) exercise the serving contract; helpers
create endpoints that are always deleted, and find the worker processes of a
server so that tests can kill them and check that none is left behind.
"""
from __future__ import annotations

import io
import itertools
import re
import tarfile
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.integration.conftest import LocalServerHandle, start_local_server
from workflow.synthetic.model_archive import tiny_model_archive

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120.0
VARIANT = "AllTraffic"

ECHO = """
import json, os
from sagemaker_inference.errors import GenericInferenceToolkitError
def model_fn(model_dir):
    return {"version": os.environ.get("MODEL_VERSION", "v1"), "pid": os.getpid()}
def input_fn(body, content_type):
    if content_type == "application/x-reject":
        raise GenericInferenceToolkitError(415, "rejected " + content_type)
    if content_type == "application/x-status-attribute":
        # Not a toolkit error: the status it carries means nothing to the container.
        error = ValueError("rejected " + content_type)
        error.status_code = 415
        raise error
    return body
def predict_fn(data, model):
    if data == b"crash":
        raise RuntimeError("predict failed")
    if data.startswith(b"sleep "):
        import time
        time.sleep(float(data.split()[1]))
    return {"echo": data.decode("latin-1"), **model}
def output_fn(prediction, accept):
    return json.dumps(prediction), accept
"""

SLOW_LOAD = """
import time
def model_fn(model_dir):
    time.sleep(8)
    return object()
"""

BROKEN_LOAD = """
def model_fn(model_dir):
    raise FileNotFoundError("weights.bin is missing from " + model_dir)
"""


def until(check: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def write_tar(path: Path, files: dict[str, bytes | str]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return path


def code_archive(tmp: Path, source: str, name: str = "inference.py") -> Path:
    """A user module packed as model.tar.gz with code/, the way SageMaker expects it."""
    return write_tar(tmp / f"{name}-{abs(hash(source))}.tar.gz",
                     {f"code/{name}": textwrap.dedent(source)})


def worker_processes(server: LocalServerHandle) -> list[psutil.Process]:
    """Every worker process serving an endpoint of this server: those writing its hosting logs."""
    return _writing_logs_under(Path(server.data_dir) / "hosting" / "logs")


def endpoint_workers(server: LocalServerHandle, endpoint: str) -> list[psutil.Process]:
    """The workers of one endpoint (their output goes to hosting/logs/<endpoint>/)."""
    return _writing_logs_under(Path(server.data_dir) / "hosting" / "logs" / endpoint)


def _writing_logs_under(folder: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            files = proc.open_files()
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
        if any(folder in Path(f.path).parents for f in files):
            found.append(proc)
    return found


class Endpoints:
    """Creates models, configs and endpoints on one server, and deletes them all at the end."""

    def __init__(self, server: LocalServerHandle, prefix: str) -> None:
        self.server = server
        self.prefix = prefix
        self.sm = server.client("sagemaker")
        self.runtime = server.client("sagemaker-runtime")
        self.names: list[str] = []
        self._n = 0
        self._uploaded: dict[Path, str] = {}
        self.s3 = server.client("s3")
        self.bucket = f"{prefix.lower()}-models-{uuid.uuid4().hex[:8]}"
        self.s3.create_bucket(Bucket=self.bucket)

    def upload(self, archive: Path) -> str:
        """The archive in the local S3 (once), where SageMaker reads model data from."""
        if archive not in self._uploaded:
            key = f"{len(self._uploaded)}/{archive.name}"
            self.s3.upload_file(str(archive), self.bucket, key)
            self._uploaded[archive] = f"s3://{self.bucket}/{key}"
        return self._uploaded[archive]

    def name(self, kind: str) -> str:
        self._n += 1
        return f"{self.prefix}-{kind}-{self._n}"

    def model(self, archive: Path, env: dict[str, str] | None = None) -> str:
        name = self.name("model")
        self.sm.create_model(ModelName=name, PrimaryContainer={
            "Image": "local/pytorch-inference", "ModelDataUrl": self.upload(archive),
            "Environment": env or {}})
        return name

    def config(self, model: str, count: int = 1, variants: list[dict] | None = None) -> str:
        name = self.name("config")
        self.sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=variants or [{
            "VariantName": VARIANT, "ModelName": model, "InitialInstanceCount": count,
            "InstanceType": "ml.m5.large", "InitialVariantWeight": 1.0}])
        return name

    def create(self, config: str, wait: bool = True) -> str:
        name = self.name("endpoint")
        self.sm.create_endpoint(EndpointName=name, EndpointConfigName=config)
        self.names.append(name)
        if wait:
            self.wait(name, "InService")
        return name

    def deploy(self, archive: Path, count: int = 1, env: dict[str, str] | None = None) -> str:
        return self.create(self.config(self.model(archive, env), count))

    def status(self, name: str) -> dict[str, Any]:
        return self.sm.describe_endpoint(EndpointName=name)

    def wait(self, name: str, status: str, timeout: float = WAIT) -> dict[str, Any]:
        def settled() -> dict[str, Any] | None:
            doc = self.status(name)
            if doc["EndpointStatus"] == "Failed" and status != "Failed":
                pytest.fail(f"endpoint {name} failed: {doc.get('FailureReason')}")
            return doc if doc["EndpointStatus"] == status else None
        return until(settled, timeout, f"endpoint {name} to be {status}")

    def invoke(self, name: str, body: bytes, **params: Any) -> dict[str, Any]:
        response = self.runtime.invoke_endpoint(EndpointName=name, Body=body, **params)
        response["Body"] = response["Body"].read()
        return response

    def delete(self, name: str) -> None:
        """DeleteEndpoint once the endpoint is no longer Creating or Updating (SageMaker refuses it then)."""
        until(lambda: _deleted(self.sm, name), WAIT, f"endpoint {name} to accept DeleteEndpoint")

    def delete_all(self) -> None:
        for name in self.names:
            self.delete(name)
        for name in self.names:
            until(lambda n=name: _gone(self.sm, n), 60, f"endpoint {name} to be deleted")


def _deleted(sm: Any, name: str) -> bool:
    try:
        sm.delete_endpoint(EndpointName=name)
    except sm.exceptions.ClientError as e:
        message = e.response["Error"]["Message"]
        if message.startswith("Cannot delete in-progress endpoint"):
            return False
        return message.startswith("Could not find endpoint")
    return True


def _gone(sm: Any, name: str) -> bool:
    try:
        sm.describe_endpoint(EndpointName=name)
    except sm.exceptions.ClientError as e:
        return "Could not find endpoint" in str(e)
    return False


class Load:
    """Requests from background threads until stopped; every outcome is kept."""

    def __init__(self, server: LocalServerHandle, endpoint: str, threads: int = 2,
                 rps: float | None = None, body: bytes = b"load") -> None:
        self.server, self.endpoint, self.body, self.rps = server, endpoint, body, rps
        self.ok: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        self._lock = threading.Lock()

    def _run(self) -> None:
        client = self.server.client("sagemaker-runtime")
        pause = len(self._threads) / self.rps if self.rps else 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                r = client.invoke_endpoint(EndpointName=self.endpoint, Body=self.body,
                                           ContentType="text/plain")
                with self._lock:
                    self.ok.append({"variant": r["InvokedProductionVariant"],
                                    "body": r["Body"].read()})
            except Exception as e:  # noqa: BLE001 - any failure is what the test counts
                with self._lock:
                    self.errors.append(repr(e))
            self._stop.wait(max(0.0, pause - (time.monotonic() - started)))

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=90)

    def count(self) -> int:
        with self._lock:
            return len(self.ok) + len(self.errors)


_tests = itertools.count(1)


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model.tar.gz of a tiny resnet18 trained for one epoch by training_src/train.py."""
    return tiny_model_archive(tmp_path_factory.mktemp("tiny-model"), classes=3, image_size=32, batch_size=4,
                              timeout=300)


@pytest.fixture(scope="session")
def echo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return code_archive(tmp_path_factory.mktemp("echo"), ECHO)


@pytest.fixture
def endpoints(local_server: LocalServerHandle, request: pytest.FixtureRequest) -> Iterator[Endpoints]:
    prefix = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name.removeprefix("test_"))[:24].strip("-")
    helper = Endpoints(local_server, f"{prefix}-{next(_tests)}")
    yield helper
    helper.delete_all()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[Callable[..., LocalServerHandle]]:
    """Servers started by the test, stopped at the end; no worker may outlive them."""
    started: list[LocalServerHandle] = []

    def start(time_scale: float = 10.0, data_dir: Path | None = None) -> LocalServerHandle:
        server = start_local_server(data_dir or tmp_path / "server", time_scale=time_scale)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for server in started:
        until(lambda s=server: not worker_processes(s), 20, "worker processes to exit")
