"""InvokeEndpoint cost through the local server, and what a second worker buys.

Measures, side by side in one run, on one tiny model trained here by
training_src/train.py (resnet18, random init, synthetic data):
  * latency: InvokeEndpoint (boto3 -> server -> worker process -> the PyTorch
    container's handler service -> inference.py) p50/p99 against the same handler
    service called in this process (the toolkit's input_fn -> predict_fn -> output_fn),
    and predict_fn alone, on the same JPEG; goal: p50 overhead at most 2 ms;
  * the CPU one call costs the boto3 client and the local server (Linux), to tell
    the client's share of the overhead from what the server adds;
  * throughput: requests/s of an endpoint with 2 workers against 1, under the
    same closed-loop load (torch at one thread per worker); goal: at least 1.8x.

    python bench/endpoint_latency.py [--requests 300] [--seconds 8] [--image-size 112]
"""
from __future__ import annotations

import argparse
import importlib
import io
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from workflow.synthetic.model_archive import tiny_model_archive


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def sample_jpeg(size: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((size, size), 40).convert("RGB").save(buffer, format="JPEG")
    return buffer.getvalue()


class InProcess:
    """The worker's handler service around inference.py, in this process, torch at one
    thread like a worker; and inference.py's predict_fn on its own."""

    def __init__(self, model_dir: Path) -> None:
        import torch

        from workflow.local.sagemaker.hosting.serve import Handler

        torch.set_num_threads(1)
        self.handler = Handler(model_dir, model_dir / "code", "inference.py")
        self.inference = importlib.import_module("inference")
        self.model = self.inference.model_fn(str(model_dir))
        self.data = None

    def __call__(self, body: bytes) -> tuple[float, float]:
        """(full handler, predict_fn alone) seconds for one request."""
        started = time.perf_counter()
        context, _ = self.handler(body, {"Content-Type": "image/jpeg"})
        handler = time.perf_counter() - started
        assert context.status == 200, context.phrase
        self.data = self.data or self.inference.input_fn(body, "image/jpeg")
        started = time.perf_counter()
        self.inference.predict_fn(self.data, self.model)
        return handler, time.perf_counter() - started


class Server:
    def __init__(self, data_dir: Path) -> None:
        from workflow.local import lifecycle

        self.state, self.process = lifecycle.start(data_dir, port=0)
        self.url = self.state.endpoint_url

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="x", aws_secret_access_key="x",
                            config=Config(retries={"max_attempts": 1}, read_timeout=120))

    def stop(self) -> None:
        from workflow.local import lifecycle

        lifecycle.terminate(self.process.pid, timeout=30)
        self.process.wait(timeout=30)


def deploy(sm: Any, s3: Any, archive: Path, name: str, count: int) -> None:
    """The model archive in the local server's S3, then a model, a config and an endpoint on it."""
    try:
        s3.create_bucket(Bucket="bench-models")
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    s3.upload_file(str(archive), "bench-models", f"{name}/model.tar.gz")
    sm.create_model(ModelName=name, PrimaryContainer={"Image": "bench",
                                                      "ModelDataUrl": f"s3://bench-models/{name}/model.tar.gz"})
    sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": name, "InitialInstanceCount": count,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    deadline = time.monotonic() + 300
    while (status := sm.describe_endpoint(EndpointName=name)["EndpointStatus"]) != "InService":
        if status == "Failed" or time.monotonic() > deadline:
            raise RuntimeError(f"endpoint {name}: {sm.describe_endpoint(EndpointName=name)}")
        time.sleep(0.2)


def latencies(local: InProcess, runtime: Any, name: str, body: bytes, runs: int
              ) -> tuple[list[float], list[float], list[float]]:
    """Server and in-process calls interleaved, so both see the same background load."""
    served, full, predict = [], [], []
    for i in range(runs + 20):
        started = time.perf_counter()
        runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="image/jpeg")["Body"].read()
        elapsed = time.perf_counter() - started
        handler, alone = local(body)
        if i >= 20:  # warm-up
            served.append(elapsed)
            full.append(handler)
            predict.append(alone)
    return served, full, predict


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used; None where /proc is not there."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_call(server: Server, runtime: Any, name: str, body: bytes, runs: int) -> tuple[float, float | None]:
    """CPU milliseconds one InvokeEndpoint costs this process (boto3) and the server, so
    that the overhead can be split between the client and what the local server adds."""
    server_before, client_before = process_cpu(server.process.pid), time.process_time()
    for _ in range(runs):
        runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="image/jpeg")["Body"].read()
    client = (time.process_time() - client_before) / runs * 1000
    server_after = process_cpu(server.process.pid)
    if server_before is None or server_after is None:
        return client, None
    return client, (server_after - server_before) / runs * 1000


def throughput(server: Server, name: str, body: bytes, seconds: float, clients: int) -> float:
    """Completed requests per second with ``clients`` closed-loop callers."""
    done = [0] * clients
    stop = threading.Event()

    def loop(i: int) -> None:
        runtime = server.client("sagemaker-runtime")
        while not stop.is_set():
            runtime.invoke_endpoint(EndpointName=name, Body=body, ContentType="image/jpeg")["Body"].read()
            done[i] += 1

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # warm-up
    start_count, started = sum(done), time.perf_counter()
    time.sleep(seconds)
    rate = (sum(done) - start_count) / (time.perf_counter() - started)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=8.0, help="load per endpoint, in rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--image-size", type=int, default=112)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="endpoint-bench-") as tmp:
        work = Path(tmp)
        print(f"training a tiny resnet18 (image size {args.image_size}) ...", flush=True)
        archive = tiny_model_archive(work, classes=5, image_size=args.image_size, batch_size=8)
        body = sample_jpeg(args.image_size * 2)
        local = InProcess(work / "model")
        server = Server(work / "server")
        try:
            sm, runtime = server.client("sagemaker"), server.client("sagemaker-runtime")
            s3 = server.client("s3")
            deploy(sm, s3, archive, "one", 1)
            deploy(sm, s3, archive, "two", 2)
            load_before = os.getloadavg()[0]
            served, full, predict = latencies(local, runtime, "one", body, args.requests)
            client_cpu, server_cpu = cpu_per_call(server, runtime, "one", body, args.requests)
            # Alternate short rounds so that both endpoints see the same background load.
            rates: dict[str, list[float]] = {"one": [], "two": []}
            for _ in range(args.rounds):
                for name in rates:
                    rates[name].append(throughput(server, name, body, args.seconds / args.rounds,
                                                  args.clients))
        finally:
            server.stop()
    ms = 1000.0
    p50s, p50h, p50p = percentile(served, .5) * ms, percentile(full, .5) * ms, percentile(predict, .5) * ms
    one, two = sum(rates["one"]), sum(rates["two"])
    print(f"cpu cores: {os.cpu_count()}, load average before/after: {load_before:.1f}/"
          f"{os.getloadavg()[0]:.1f}, requests: {args.requests}, body: {len(body)} bytes JPEG")
    if max(load_before, os.getloadavg()[0]) > os.cpu_count() * 0.75:
        print("note: other processes are using the CPUs; latency and scaling figures are "
              "pessimistic")
    print(f"in-process predict_fn        p50 {p50p:7.2f} ms  p99 {percentile(predict, .99) * ms:7.2f} ms")
    print(f"in-process handler service   p50 {p50h:7.2f} ms  p99 {percentile(full, .99) * ms:7.2f} ms")
    print(f"InvokeEndpoint via server    p50 {p50s:7.2f} ms  p99 {percentile(served, .99) * ms:7.2f} ms")
    print(f"p50 overhead vs full handler: {p50s - p50h:6.2f} ms (goal <= 2 ms), "
          f"ratio {p50s / p50h:.2f}x")
    print(f"p50 overhead vs predict_fn:   {p50s - p50p:6.2f} ms, ratio {p50s / p50p:.2f}x")
    # Each server call is paired with the in-process call made right after it, so the
    # median of the differences is less sensitive to other load on the machine.
    paired = percentile([s - f for s, f in zip(served, full, strict=True)], .5) * ms
    print(f"median paired overhead (server - handler, same moment): {paired:6.2f} ms")
    server_share = f"{server_cpu:.2f} ms" if server_cpu is not None else "unknown (no /proc)"
    print(f"CPU per InvokeEndpoint: boto3 client {client_cpu:.2f} ms, local server {server_share} "
          "(the client's share would be paid against AWS too)")
    print(f"throughput 1 worker: {one / args.rounds:6.1f} req/s, 2 workers: {two / args.rounds:6.1f} req/s, "
          f"ratio {two / one:.2f}x (goal >= 1.8x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
