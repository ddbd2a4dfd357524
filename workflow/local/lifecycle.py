"""Start the local server in the background, find it, stop it.

The server writes ``server.json`` (pid, port, endpoint) into its data
directory once it listens and removes it on a clean stop; that file plus a
health probe is how the CLI and the tests know it is up.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from workflow.local.process_groups import signal_group

DEFAULT_PORT = 4580
DEFAULT_DATA_DIR = ".local/server"

#: Written by the server once it listens (see server.py); removed on a clean stop.
STATE_FILE = "server.json"
LOG_FILE = "server.log"


@dataclass
class ServerState:
    pid: int
    port: int
    endpoint_url: str
    data_dir: Path
    time_scale: float = 1.0
    #: ``enforce`` or ``off``: whether role sessions' calls are authorized.
    iam: str = "enforce"
    #: The MLflow tracking server started beside it (None: none runs).
    mlflow_url: str | None = None


class StartError(RuntimeError):
    pass


def read_state(data_dir: Path | str) -> ServerState | None:
    """The recorded state of a server on ``data_dir`` whose process is alive, else None."""
    path = Path(data_dir) / STATE_FILE
    try:
        raw = json.loads(path.read_text())
        state = ServerState(int(raw["pid"]), int(raw["port"]), raw["endpoint_url"],
                            Path(raw["data_dir"]), float(raw.get("time_scale", 1.0)),
                            str(raw.get("iam", "enforce")), raw.get("mlflow_url"))
    except (OSError, ValueError, KeyError):
        return None
    return state if pid_alive(state.pid) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not a running server.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def healthy(endpoint_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint_url}/health", timeout=timeout) as answer:
            return answer.status == 200
    except (OSError, urllib.error.URLError):
        return False


def private_directory(path: Path) -> None:
    """Create ``path`` readable by its owner only (the server's data holds session secrets),
    and take the group's and others' access from one this user already owns."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_uid == os.getuid() and path.stat().st_mode & 0o077:
        path.chmod(0o700)


def start(
    data_dir: Path | str, *, port: int = 0, time_scale: float = 1.0, timeout: float = 60.0,
    env: dict[str, str] | None = None, iam: str | None = None, mlflow_port: int | None = -1,
) -> tuple[ServerState, subprocess.Popen[bytes]]:
    """Start a server process in its own session; return once it answers ``/health``.

    ``mlflow_port``: as ``--mlflow-port`` (None: the server's default; -1, the default
    here: no MLflow tracking server)."""
    process = spawn(data_dir, port=port, time_scale=time_scale, env=env, iam=iam, mlflow_port=mlflow_port)
    return wait_until_up(data_dir, process, timeout=timeout), process


def spawn(
    data_dir: Path | str, *, port: int = 0, time_scale: float = 1.0, env: dict[str, str] | None = None,
    iam: str | None = None, mlflow_port: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start a server process in its own session and return at once (see ``wait_until_up``).

    ``iam`` is ``enforce`` or ``off``; None keeps the data directory's last setting."""
    data_dir = Path(data_dir).resolve()
    private_directory(data_dir)
    running = read_state(data_dir)
    if running is not None:
        raise StartError(f"another local server is running on {data_dir} "
                         f"(pid {running.pid}, {running.endpoint_url})")
    log = open(data_dir / LOG_FILE, "ab")
    command = [sys.executable, "-m", "workflow.local", "--port", str(port),
               "--data-dir", str(data_dir), "--time-scale", str(time_scale)]
    if mlflow_port is not None:
        command += ["--mlflow-port", str(mlflow_port)]
    if iam is not None:
        command += ["--iam", iam]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, env=env,
    )
    log.close()
    return process


def wait_until_up(data_dir: Path | str, process: subprocess.Popen[bytes], *,
                  timeout: float = 60.0) -> ServerState:
    """Wait until the server ``spawn`` started answers ``/health``; StartError when it does not."""
    data_dir = Path(data_dir).resolve()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(f"the local server exited with status {process.returncode}; "
                             f"see {data_dir / LOG_FILE}:\n{_tail(data_dir / LOG_FILE)}")
        state = read_state(data_dir)
        if state is not None and state.pid == process.pid and healthy(state.endpoint_url):
            return state
        time.sleep(0.02)
    process.kill()
    process.wait(timeout=10)
    raise StartError(f"the local server did not answer within {timeout:.0f} s; "
                     f"see {data_dir / LOG_FILE}")


def stop(data_dir: Path | str, *, timeout: float = 30.0) -> bool:
    """SIGTERM the server on ``data_dir`` and wait; SIGKILL its group if it lingers.

    Returns False when no server was running.
    """
    state = read_state(data_dir)
    if state is None:
        return False
    terminate(state.pid, timeout=timeout)
    return True


def terminate(pid: int, *, timeout: float = 30.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.05)
    kill_group(pid)


def kill_group(pid: int) -> None:
    """SIGKILL the server and whatever is left in its process group (the server itself too
    when it does not lead one)."""
    signal_group(pid)
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, size: int = 2000) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return ""
