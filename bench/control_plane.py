"""Control-plane cost of the local server against the same engine in-process.

Measures, side by side in one run:
  * StartExecution -> SUCCEEDED latency of a one-Pass state machine through the
    server (boto3 over HTTP, polling DescribeExecution) vs ``Interpreter.start``
    + ``wait`` in this process;
  * DescribeExecution calls per second through the server (boto3, and bare
    HTTP/1.1 keep-alive to separate the client's own cost) vs the same backend
    method called in-process (no HTTP, same SQLite store).
Prints medians and the ratios.

    python bench/control_plane.py [--runs 40] [--seconds 3]
"""
from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from workflow.engine import ExecutionContext, Interpreter, parse_definition
from workflow.local import lifecycle
from workflow.local.context import ServerContext
from workflow.local.stepfunctions import StepFunctionsBackend
from workflow.local.store import Store

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
ROLE = "arn:aws:iam::123456789012:role/bench"


def client(endpoint: str) -> Any:
    return boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"mode": "standard", "max_attempts": 1}))


def server_latency(sfn: Any, machine: str, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        arn = sfn.start_execution(stateMachineArn=machine, input='{"n": 1}')["executionArn"]
        deadline = time.monotonic() + 30
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            if time.monotonic() > deadline:
                raise TimeoutError(arn)
        samples.append(time.perf_counter() - began)
    return samples


def inprocess_latency(runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        # Parse per run, as the server validates the machine at create and reuses it at start.
        machine = parse_definition(json.dumps(PASS))
        name = uuid.uuid4().hex
        ctx = ExecutionContext(
            execution_arn=f"arn:aws:states:us-east-1:123456789012:execution:bench:{name}",
            execution_name=name, state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:bench",
            state_machine_name="bench", role_arn=ROLE, start_time=datetime.now(timezone.utc))
        events: list[dict[str, Any]] = []
        handle = Interpreter(machine, client_factory=lambda s: None).start({"n": 1}, ctx, events.append)
        result = handle.wait(timeout=30)
        assert result is not None and result.status == "SUCCEEDED"
        samples.append(time.perf_counter() - began)
    return samples


def rate(call: Any, seconds: float, threads: int = 1) -> float:
    count = [0] * threads
    stop = time.monotonic() + seconds

    def loop(index: int) -> None:
        while time.monotonic() < stop:
            call(index)
            count[index] += 1

    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(count) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        state, process = lifecycle.start(Path(tmp) / "server")
        try:
            sfn = client(state.endpoint_url)
            machine = sfn.create_state_machine(name="bench", definition=json.dumps(PASS),
                                               roleArn=ROLE)["stateMachineArn"]
            server_latency(sfn, machine, 3)  # warm-up: connections, caches
            inprocess_latency(3)
            via_server = server_latency(sfn, machine, args.runs)
            in_process = inprocess_latency(args.runs)
            arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]

            raw = http.client.HTTPConnection("127.0.0.1", state.port, timeout=30)
            body = json.dumps({"executionArn": arn})
            headers = {"X-Amz-Target": "AWSStepFunctions.DescribeExecution",
                       "Content-Type": "application/x-amz-json-1.0"}

            def raw_describe(_: int) -> None:
                raw.request("POST", "/", body, headers)
                answer = raw.getresponse()
                answer.read()
                assert answer.status == 200

            raw_rate = rate(raw_describe, args.seconds)
            raw.close()
            clients = [client(state.endpoint_url) for _ in range(4)]
            server_rate = rate(lambda i: clients[0].describe_execution(executionArn=arn), args.seconds)
            server_rate4 = rate(lambda i: clients[i].describe_execution(executionArn=arn),
                                args.seconds, threads=4)
        finally:
            lifecycle.terminate(process.pid)
            process.wait(timeout=30)

        # The same backend and store, called directly (the server is stopped: no contention).
        ctx = ServerContext(data_dir=Path(tmp) / "server",
                            store=Store(Path(tmp) / "server" / "state.sqlite3"),
                            endpoint_url="http://127.0.0.1:9")
        backend = StepFunctionsBackend(ctx)
        direct_rate = rate(lambda i: backend.handle("DescribeExecution", {"executionArn": arn}),
                           args.seconds)

    s_med, p_med = statistics.median(via_server), statistics.median(in_process)
    print(f"StartExecution -> SUCCEEDED, one Pass state, {args.runs} runs")
    print(f"  through the server (boto3/HTTP): median {s_med * 1000:8.2f} ms  "
          f"p90 {statistics.quantiles(via_server, n=10)[-1] * 1000:8.2f} ms")
    print(f"  engine in-process              : median {p_med * 1000:8.2f} ms  "
          f"p90 {statistics.quantiles(in_process, n=10)[-1] * 1000:8.2f} ms")
    print(f"  ratio server / in-process      : {s_med / p_med:8.1f}x")
    print(f"DescribeExecution, {args.seconds:.0f} s each")
    print(f"  through the server, 1 client   : {server_rate:8.0f} calls/s")
    print(f"  through the server, 4 clients  : {server_rate4:8.0f} calls/s")
    print(f"  through the server, raw HTTP   : {raw_rate:8.0f} calls/s  (no boto3 client cost)")
    print(f"  backend in-process             : {direct_rate:8.0f} calls/s")
    print(f"  ratio in-process / server (1)  : {direct_rate / server_rate:8.1f}x")
    print(f"  ratio in-process / raw HTTP    : {direct_rate / raw_rate:8.1f}x")


if __name__ == "__main__":
    main()
