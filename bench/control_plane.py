"""Control-plane cost of the local server against the same engine in-process.

Measures, side by side in one run:
  * StartExecution -> SUCCEEDED latency of a one-Pass state machine through the
    server (boto3 over HTTP, polling DescribeExecution) vs ``Interpreter.start``
    + ``wait`` in this process;
  * DescribeExecution calls per second through the server (boto3, and bare
    HTTP/1.1 keep-alive to separate the client's own cost) vs the same backend
    method called in-process (no HTTP, same SQLite store);
  * DescribeExecution calls per second signed with a role session's credentials, on a
    server with ``--iam enforce`` (every call's signature verified and authorized) vs one
    with ``--iam off``, measured in alternating rounds (goal: enforce >= 0.9x off).
Prints medians and the ratios.

    python bench/control_plane.py [--runs 40] [--seconds 3] [--rounds 10]
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
import psutil
from botocore.config import Config

from workflow.engine import ExecutionContext, Interpreter, parse_definition
from workflow.local import lifecycle
from workflow.local.context import ServerContext
from workflow.local.stepfunctions import StepFunctionsBackend
from workflow.local.store import Store

PASS = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
ROLE = "arn:aws:iam::123456789012:role/bench"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]}
#: What the reader role may do: describe this machine's executions, nothing else.
READER = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "states:DescribeExecution",
     "Resource": "arn:aws:states:us-east-1:123456789012:execution:bench:*"}]}


def client(endpoint: str, service: str = "stepfunctions", **credentials: str) -> Any:
    keys = credentials or {"aws_access_key_id": "x", "aws_secret_access_key": "x"}
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(retries={"mode": "standard", "max_attempts": 1}), **keys)


def role_session_describe(endpoint: str) -> Any:
    """A DescribeExecution call made with the credentials of a role allowed only that."""
    sfn = client(endpoint)
    machine = sfn.create_state_machine(name="bench", definition=json.dumps(PASS), roleArn=ROLE)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    iam = client(endpoint, "iam")
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName="reader", PolicyName="describe", PolicyDocument=json.dumps(READER))
    keys = client(endpoint, "sts").assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
    reader = client(endpoint, aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"],
                    aws_session_token=keys["SessionToken"])
    reader.describe_execution(executionArn=arn)
    return lambda _: reader.describe_execution(executionArn=arn)


def enforcement_rates(tmp: Path, seconds: float, rounds: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """DescribeExecution calls/s as a role session, on an enforcing server and on one with
    --iam off, in alternating rounds so both see the same machine load; and the server's own
    CPU time per call (which the machine's load does not stretch)."""
    servers = {mode: lifecycle.start(tmp / f"iam-{mode}", iam=mode) for mode in ("enforce", "off")}
    try:
        calls = {mode: role_session_describe(state.endpoint_url) for mode, (state, _) in servers.items()}
        cpu = {mode: psutil.Process(process.pid) for mode, (_, process) in servers.items()}
        rates: dict[str, list[float]] = {mode: [] for mode in servers}
        spent = {mode: 0.0 for mode in servers}
        for _ in range(rounds):
            for mode in servers:
                before = sum(cpu[mode].cpu_times()[:2])
                rates[mode].append(rate(calls[mode], seconds))
                spent[mode] += sum(cpu[mode].cpu_times()[:2]) - before
        per_call = {mode: spent[mode] / (sum(rates[mode]) * seconds) for mode in servers}
        return rates, per_call
    finally:
        for _, process in servers.values():
            lifecycle.terminate(process.pid)
            process.wait(timeout=30)


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
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds of the IAM comparison")
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
        iam_rates, iam_cpu = enforcement_rates(Path(tmp), args.seconds, args.rounds)

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
    enforce, off = (statistics.median(iam_rates[m]) for m in ("enforce", "off"))
    print(f"DescribeExecution as a role session, {args.rounds} alternating rounds of {args.seconds:.0f} s")
    print(f"  --iam enforce (verified, authorized): {enforce:8.0f} calls/s  "
          f"(rounds: {', '.join(f'{r:.0f}' for r in iam_rates['enforce'])})")
    print(f"  --iam off                           : {off:8.0f} calls/s  "
          f"(rounds: {', '.join(f'{r:.0f}' for r in iam_rates['off'])})")
    print(f"  ratio enforce / off                 : {enforce / off:8.2f}x  (goal >= 0.9)")
    print(f"  server CPU per call                 : {iam_cpu['enforce'] * 1e6:8.0f} us enforce, "
          f"{iam_cpu['off'] * 1e6:.0f} us off (+{(iam_cpu['enforce'] - iam_cpu['off']) * 1e6:.0f} us)")


if __name__ == "__main__":
    main()
