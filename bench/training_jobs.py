"""Cost of running train.py as a local SageMaker training job, and tuning parallelism.

Measures, side by side in one run, on the synthetic dataset:
  * wall time of ``python training_src/train.py ARGS`` run directly against the
    same script as a local training job through the server (boto3
    CreateTrainingJob, then DescribeTrainingJob until Completed): the job's
    overhead (goal: at most 2 s or 5 %, whichever is larger);
  * wall time of a 4-job tuning job with MaxParallelTrainingJobs 2 against 1
    (goal: at least 1.6x faster on 2 cores; each parallel job gets
    cores / parallel torch threads).
Prints the times and the ratios. On a machine shared with other work the
wall times swing by seconds, so the job's time outside the script (from its
own status transitions) is printed too: that part is the job's cost.

    python bench/training_jobs.py [--epochs 2] [--jobs 4] [--repeats 2]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from workflow.local import lifecycle
from workflow.synthetic import generate_dataset

ROOT = Path(__file__).resolve().parents[1]
ROLE = "arn:aws:iam::123456789012:role/bench"
METRICS = json.loads((ROOT / "training_src" / "metric_definitions.json").read_text())
POLL = 0.1


def hyperparameters(epochs: int) -> dict[str, str]:
    return {"epochs": str(epochs), "image-size": "32", "batch-size": "8", "num-workers": "0",
            "pretrained": "false", "arch": "resnet18", "seed": "0", "patience": "0"}


def run_direct(data: Path, work: Path, hps: dict[str, str]) -> float:
    args = [a for k, v in sorted(hps.items()) for a in (f"--{k}", v)]
    args += ["--data-dir", str(data), "--model-dir", str(work / "model"),
             "--output-data-dir", str(work / "output"), "--checkpoint-dir", "none"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SMDEBUG"))}
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "training_src" / "train.py"), *args], env=env,
                   cwd=ROOT / "training_src", check=True, capture_output=True, timeout=1200)
    return time.perf_counter() - start


def job_definition(data: str, source: str, out: str, hps: dict[str, str]) -> dict[str, Any]:
    """The jobs' request: channel, code and output in the local server's S3, as on AWS."""
    return {
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "local", "TrainingInputMode": "File",
                                   "MetricDefinitions": METRICS},
        "InputDataConfig": [{"ChannelName": "training", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": data}}}],
        "OutputDataConfig": {"S3OutputPath": out},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        "_hps": {"sagemaker_program": '"train.py"',
                 "sagemaker_submit_directory": json.dumps(source), **hps},
    }


def script_seconds(job: dict[str, Any]) -> float:
    """How long the script itself ran, from the Training secondary status."""
    training = next(t for t in job["SecondaryStatusTransitions"] if t["Status"] == "Training")
    return (training["EndTime"] - training["StartTime"]).total_seconds()


def until_ended(describe: Callable[[], dict[str, Any]], status: str) -> dict[str, Any]:
    """Poll ``describe`` until the job's ``status`` member is final; its last answer."""
    while True:
        job = describe()
        if job[status] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(POLL)


def run_job(sm: Any, name: str, definition: dict[str, Any]) -> tuple[float, float]:
    request = {k: v for k, v in definition.items() if not k.startswith("_")}
    start = time.perf_counter()
    sm.create_training_job(TrainingJobName=name, HyperParameters=definition["_hps"], **request)
    job = until_ended(lambda: sm.describe_training_job(TrainingJobName=name), "TrainingJobStatus")
    elapsed = time.perf_counter() - start
    if job["TrainingJobStatus"] != "Completed":
        raise SystemExit(f"{name} ended {job['TrainingJobStatus']}: {job.get('FailureReason')}")
    return elapsed, elapsed - script_seconds(job)


def run_tuning(sm: Any, name: str, definition: dict[str, Any], jobs: int, parallel: int) -> float:
    training = {k: v for k, v in definition.items() if not k.startswith("_")}
    start = time.perf_counter()
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig={
            "Strategy": "Random", "RandomSeed": 1,
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "valid:accuracy"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": jobs, "MaxParallelTrainingJobs": parallel},
            "ParameterRanges": {"ContinuousParameterRanges": [
                {"Name": "lr", "MinValue": "0.0005", "MaxValue": "0.005", "ScalingType": "Logarithmic"}]}},
        TrainingJobDefinition={**training, "StaticHyperParameters": definition["_hps"]})
    tuning = until_ended(lambda: sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name),
                         "HyperParameterTuningJobStatus")
    elapsed = time.perf_counter() - start
    if tuning["HyperParameterTuningJobStatus"] != "Completed":
        raise SystemExit(f"{name}: {tuning.get('FailureReason')}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=4, help="training jobs per tuning job")
    parser.add_argument("--repeats", type=int, default=2,
                        help="direct and job runs, interleaved; the fastest of each counts")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-training-"))
    server = None
    try:
        data = work / "data"
        generate_dataset(data, num_classes=3, train_per_class=10, valid_per_class=3,
                         test_per_class=3, image_size=32, seed=0)
        source = work / "sourcedir.tar.gz"
        with tarfile.open(source, "w:gz") as tar:
            for path in (ROOT / "training_src").glob("*.py"):
                tar.add(path, arcname=path.name)
        hps = hyperparameters(args.epochs)
        state, server = lifecycle.start(work / "server", port=0)
        sm = boto3.client("sagemaker", endpoint_url=state.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local",
                          config=Config(retries={"max_attempts": 1}))
        s3 = boto3.client("s3", endpoint_url=state.endpoint_url, region_name="us-east-1",
                          aws_access_key_id="local", aws_secret_access_key="local")
        s3.create_bucket(Bucket="bench")
        for path in sorted(p for p in data.rglob("*") if p.is_file()):
            s3.upload_file(str(path), "bench", f"data/{path.relative_to(data).as_posix()}")
        s3.upload_file(str(source), "bench", "code/sourcedir.tar.gz")
        definition = job_definition("s3://bench/data/", "s3://bench/code/sourcedir.tar.gz",
                                    "s3://bench/artifacts", hps)
        run_direct(data, work / "warm-up", hps)  # fill the OS file cache for both sides
        directs, jobs, outside = [], [], []
        for i in range(args.repeats):  # interleaved, so load from elsewhere hits both sides
            directs.append(run_direct(data, work / f"direct-{i}", hps))
            wall, extra = run_job(sm, f"bench-job-{i}", definition)
            jobs.append(wall)
            outside.append(extra)
        direct, job = min(directs), min(jobs)
        overhead = job - direct
        allowed = max(2.0, 0.05 * direct)
        print(f"train.py directly         {direct:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in directs)})")
        print(f"as a local training job   {job:7.2f} s  (runs: {', '.join(f'{t:.2f}' for t in jobs)})")
        print(f"job overhead              {overhead:7.2f} s  (ratio {job / direct:.3f}; "
              f"goal <= {allowed:.2f} s: {'met' if overhead <= allowed else 'NOT met'})")
        print(f"job time outside the script {min(outside):5.2f} s  (create, staging, upload, "
              f"status detection; runs: {', '.join(f'{t:.2f}' for t in outside)})")
        serial = run_tuning(sm, "bench-tune-serial", definition, args.jobs, 1)
        parallel = run_tuning(sm, "bench-tune-parallel", definition, args.jobs, 2)
        speedup = serial / parallel
        print(f"tuning {args.jobs} jobs, 1 at a time  {serial:7.2f} s")
        print(f"tuning {args.jobs} jobs, 2 at a time  {parallel:7.2f} s")
        print(f"parallel speed-up         {speedup:7.2f}x (goal >= 1.6x on 2 cores: "
              f"{'met' if speedup >= 1.6 else 'NOT met'}; cores: {os.cpu_count()})")
    finally:
        if server is not None:
            lifecycle.terminate(server.pid, timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
