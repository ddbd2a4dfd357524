"""Endpoints that change while serving: UpdateEndpoint, a killed worker, a server restart."""
from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

from tests.integration.conftest import LocalServerHandle
from tests.integration.test_endpoints_fixtures import (  # noqa: F401 - fixtures
    Endpoints,
    Load,
    echo_archive,
    endpoint_workers,
    endpoints,
    own_server,
    until,
    worker_processes,
)


def test_update_under_load_fails_no_request(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive, count=2, env={"MODEL_VERSION": "v1"})
    old = {p.pid for p in endpoint_workers(endpoints.server, name)}
    new_config = endpoints.config(endpoints.model(echo_archive, {"MODEL_VERSION": "v2"}), count=2)
    with Load(endpoints.server, name, threads=3, body=b"sleep 0.02") as load:
        until(lambda: load.count() >= 20, 60, "load to start")
        endpoints.sm.update_endpoint(EndpointName=name, EndpointConfigName=new_config)
        assert endpoints.status(name)["EndpointStatus"] == "Updating"
        doc = endpoints.wait(name, "InService")
        switched = load.count()
        until(lambda: load.count() >= switched + 20, 60, "requests after the switch")
    assert load.errors == []
    versions = [json.loads(r["body"])["version"] for r in load.ok]
    assert versions[0] == "v1" and "v2" in versions
    # Once the switch happened, no request went back to the old configuration.
    first_v2 = versions.index("v2")
    assert versions[first_v2:].count("v1") <= 3  # only requests already in flight at the switch
    assert set(versions[switched + 3:]) == {"v2"}
    assert doc["EndpointConfigName"] == new_config
    until(lambda: not old & {p.pid for p in endpoint_workers(endpoints.server, name)}, 60,
          "old workers to be retired")
    assert len(endpoint_workers(endpoints.server, name)) == 2


def test_a_killed_worker_is_replaced_while_serving(endpoints: Endpoints, echo_archive: Path) -> None:
    name = endpoints.deploy(echo_archive, count=2)
    before = {p.pid: p for p in endpoint_workers(endpoints.server, name)}
    victim = next(iter(before.values()))
    with Load(endpoints.server, name, threads=2, body=b"sleep 0.01") as load:
        until(lambda: load.count() >= 10, 60, "load to start")
        victim.send_signal(signal.SIGKILL)
        replaced = until(lambda: (lambda pids: len(pids) == 2 and victim.pid not in pids and pids)(
            {p.pid for p in endpoint_workers(endpoints.server, name)}), 60, "a replacement worker")
        (new_pid,) = replaced - set(before)
        until(lambda: any(json.loads(r["body"])["pid"] == new_pid for r in list(load.ok)), 60,
              "the replacement to take traffic")
    assert load.errors == []
    assert endpoints.status(name)["ProductionVariants"][0]["CurrentInstanceCount"] == 2


def test_endpoints_come_back_after_a_restart(
    own_server: Callable[..., LocalServerHandle], echo_archive: Path, tmp_path: Path,
) -> None:
    server = own_server(data_dir=tmp_path / "server")
    endpoints = Endpoints(server, "restart")
    name = endpoints.deploy(echo_archive, count=2)
    endpoints.invoke(name, b"before", ContentType="text/plain")
    server.stop()
    until(lambda: not worker_processes(server), 20, "workers to stop with the server")

    server = own_server(data_dir=tmp_path / "server")
    endpoints = Endpoints(server, "restart")
    doc = endpoints.wait(name, "InService")
    assert doc["ProductionVariants"][0]["CurrentInstanceCount"] == 2
    assert len(endpoint_workers(server, name)) == 2
    assert json.loads(endpoints.invoke(name, b"after", ContentType="text/plain")["Body"])["echo"] == "after"


def test_a_killed_server_leaves_no_worker(
    own_server: Callable[..., LocalServerHandle], echo_archive: Path,
) -> None:
    server = own_server()
    Endpoints(server, "crash").deploy(echo_archive, count=2)
    assert len(worker_processes(server)) == 2
    server.kill()
    until(lambda: not worker_processes(server), 20, "workers to notice the server is gone")
