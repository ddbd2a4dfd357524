"""The local server a run uses: started first, waited for last.

A server takes about half a second to start; ``deploy_workflow.py run`` starts
it before importing what it needs for the rest, so the two overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from workflow.local import lifecycle


@dataclass
class ServerStart:
    """A server that runs, or one this run has started and that may still be starting."""
    data_dir: Path
    endpoint_url: str | None
    process: Any = None  # the server process when this run started it
    state: lifecycle.ServerState | None = None

    def wait(self) -> lifecycle.ServerState:
        if self.state is None:
            self.state = lifecycle.wait_until_up(self.data_dir, self.process)
            self.endpoint_url = self.state.endpoint_url
        return self.state

    def abandon(self) -> None:
        """Stop the server again if this run started it (the run ends before using it)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def ensure_server(data_dir: Path, port: int, out: TextIO, *, iam: str | None = None,
                  mlflow_port: int | None = None) -> ServerStart:
    """Start the server unless it runs; its start-up overlaps whatever the caller does
    until ``wait()``. A running server keeps its ``--iam`` setting (a note says so when it
    differs from ``iam``). ``mlflow_port``: as the server's ``--mlflow-port``."""
    state = lifecycle.read_state(data_dir)
    if state is not None and lifecycle.healthy(state.endpoint_url):
        if iam is not None and state.iam != iam:
            print(f"note: the local server runs with --iam {state.iam}; restart it (local down) for --iam {iam}",
                  file=out)
        return ServerStart(data_dir, state.endpoint_url, state=state)
    print(f"starting the local server on 127.0.0.1:{port} (data in {data_dir}) ...", file=out)
    return ServerStart(data_dir, f"http://127.0.0.1:{port}" if port else None,
                       process=lifecycle.spawn(data_dir, port=port, iam=iam, mlflow_port=mlflow_port))
