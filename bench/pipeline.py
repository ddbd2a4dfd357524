"""Wall time of the default local run and the share spent outside training and inference.

Runs ``deploy_workflow.py run`` exactly as a new user does (fresh work
directory: dataset generation, server start, deployment, the execution) and
then reads, through the public APIs, when each training script ran. Compute
is the union of the training jobs' ``Training`` phases (scripts of parallel
tuning jobs overlap) plus the smoke test's inference; everything else is
orchestration: process start, polling, staging, deployment, rule evaluation.

Goals: the run in at most 180 s on a 2-core machine; orchestration at most 10%.

    python bench/pipeline.py [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflow.local import lifecycle  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def merged(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The intervals' union as disjoint spans, in order."""
    spans: list[tuple[float, float]] = []
    for start, stop in sorted(intervals):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], stop))
        else:
            spans.append((start, stop))
    return spans


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    return sum(stop - start for start, stop in merged(intervals))


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, of the children it has reaped and of every live descendant:
    on a shared machine other work inflates wall time far more than it changes CPU time."""
    total = 0.0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return total
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def stop_everything(data_dir: Path, timeout: float = 30.0) -> None:
    """Stop the server and wait until every process it started has gone too (workers, fork
    servers, Lambda environments live in sessions of their own): a run started right after
    would otherwise share the CPU with their exit."""
    state = lifecycle.read_state(data_dir)
    family = []
    if state is not None:
        try:
            family = psutil.Process(state.pid).children(recursive=True)
        except psutil.Error:
            pass
    lifecycle.stop(data_dir)
    psutil.wait_procs(family, timeout=timeout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true",
                        help="leave the server running and the work directory in place afterwards")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    started, started_at = time.monotonic(), time.time()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([sys.executable, str(ROOT / "deploy_workflow.py"), "run", "--work-dir", str(workdir),
                           "--port", str(free_port())], capture_output=True, text=True, cwd=ROOT)
    wall, ended_at = time.monotonic() - started, time.time()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    state = lifecycle.read_state(workdir / "server")
    try:
        if done.returncode != 0 or state is None:
            print(done.stdout[-4000:], done.stderr[-4000:])
            print("the default run failed")
            args.keep = True
            return 1
        session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        sagemaker = session.client("sagemaker", endpoint_url=state.endpoint_url)
        sfn = session.client("stepfunctions", endpoint_url=state.endpoint_url)
        machine = sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        execution = sfn.describe_execution(
            executionArn=sfn.list_executions(stateMachineArn=machine)["executions"][0]["executionArn"])
        intervals, jobs = [], 0
        for summary in sagemaker.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]:
            job = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
            for phase in job.get("SecondaryStatusTransitions", []):
                if phase["Status"] == "Training" and "EndTime" in phase:
                    intervals.append((phase["StartTime"].timestamp(), phase["EndTime"].timestamp()))
                    jobs += 1
        report = json.loads(execution["output"])["smoke_test"]
        inference = sum(r["latency_ms"] for r in report["results"]) / 1000
        compute = union_seconds(intervals) + inference
        execution_wall = (execution["stopDate"] - execution["startDate"]).total_seconds()
        print(f"default run (deploy_workflow.py run, fresh work dir): {wall:7.1f} s   goal <= 180 s "
              f"({'met' if wall <= 180 else 'MISSED'})")
        print(f"  of which the execution itself:                   {execution_wall:7.1f} s")
        print(f"  before it (server start, deployment, dataset):   "
              f"{execution['startDate'].timestamp() - started_at:7.2f} s")
        print(f"  after it (rule results, summary, exit):          "
              f"{ended_at - execution['stopDate'].timestamp():7.2f} s")
        print(f"  training scripts running ({jobs} jobs, overlaps merged): {union_seconds(intervals):6.1f} s")
        print(f"  smoke-test inference:                            {inference:7.2f} s")
        spans = merged(intervals)
        start, stop = execution["startDate"].timestamp(), execution["stopDate"].timestamp()
        print(f"  in it, before the first script (staging, job start): {spans[0][0] - start:6.2f} s")
        print(f"  in it, between scripts (job hand-overs):         "
              f"{sum(b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)):7.2f} s")
        print(f"  in it, after the last script (endpoint, smoke test): {stop - spans[-1][1]:6.2f} s")
        share = 1 - compute / wall
        print(f"orchestration share of the run (outside compute):  {share:7.1%}   goal <= 10% "
              f"({'met' if share <= 0.10 else 'MISSED'})")
        print(f"orchestration share of the execution:              {1 - compute / execution_wall:7.1%}")
        print(f"ratio run wall / compute:                          {wall / compute:7.2f}")
        cli = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"CPU of the run, every process it started:          {cli + tree_cpu_seconds(state.pid):7.1f} s "
              f"(load average {os.getloadavg()[0]:.1f} at the end)")
        return 0
    finally:
        if args.keep:
            print(f"kept: {workdir}")
        else:
            stop_everything(workdir / "server")
            # A default run leaves about half a gigabyte of tensors, jobs and archives.
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
