"""``deploy_workflow.py invoke`` and ``load``: call an endpoint once, or under bounded load."""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from workflow.cli.aws_errors import aws_error

MAX_RPS = 500
MAX_DURATION = 600
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_IMAGE_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def register(subparsers: argparse._SubParsersAction) -> None:
    invoke = subparsers.add_parser("invoke", help="send one image to an endpoint and print the top breeds")
    invoke.add_argument("--endpoint", required=True, help="endpoint name")
    invoke.add_argument("--image", required=True, help="image file, or an http(s) URL the endpoint fetches")
    invoke.add_argument("--top-k", type=int, default=5, help="breeds to print (default 5)")
    invoke.set_defaults(func=cmd_invoke)

    load = subparsers.add_parser("load", help="send bounded load to a local endpoint and watch it scale")
    load.add_argument("--endpoint", required=True, help="endpoint name")
    load.add_argument("--rps", type=float, required=True, help=f"requests per second (at most {MAX_RPS})")
    load.add_argument("--duration", type=float, required=True,
                      help=f"seconds of load (at most {MAX_DURATION})")
    load.add_argument("--image", help="image file to send (default: a small generated JPEG)")
    load.add_argument("--concurrency", type=int, default=8, help="requests in flight at most (default 8)")
    load.set_defaults(func=cmd_load)

    for parser in (invoke, load):
        parser.add_argument("--endpoint-url", help="server URL (default: AWS_ENDPOINT_URL, else the "
                            "running local server, else AWS with --region)")
        parser.add_argument("--region", help="AWS region when talking to AWS")
        parser.add_argument("--data-dir", type=Path, help="data directory of the local server "
                            "(default .local/server)")


def _endpoint_url(args: argparse.Namespace, service_variable: str) -> str | None:
    url = args.endpoint_url or os.environ.get(service_variable) or os.environ.get("AWS_ENDPOINT_URL")
    if url or args.region:
        return url
    from workflow.local import lifecycle
    from workflow.local.lifecycle import DEFAULT_DATA_DIR

    state = lifecycle.read_state(args.data_dir or Path(DEFAULT_DATA_DIR))
    if state is None:
        raise LookupError("no local server is running (start one with 'deploy_workflow.py local up'); "
                          "pass --endpoint-url, set AWS_ENDPOINT_URL, or pass --region for AWS")
    return state.endpoint_url


def _client(args: argparse.Namespace, service: str, variable: str) -> Any:
    import boto3
    from botocore.config import Config

    url = _endpoint_url(args, variable)
    session = boto3.session.Session(region_name=args.region or os.environ.get("AWS_DEFAULT_REGION")
                                    or "us-east-1")
    credentials: dict[str, str] = {}
    if url is not None and session.get_credentials() is None:
        credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    # No retries: the load report must count failures, not hide them.
    config = Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=70,
                    max_pool_connections=64)
    return session.client(service, endpoint_url=url, config=config, **credentials)


def read_image(source: str) -> tuple[bytes, str]:
    """(body, content type) for a file, or a JSON request that makes the endpoint fetch a URL."""
    if urlparse(source).scheme in ("http", "https"):
        return json.dumps({"url": source}).encode(), "application/json"
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ValueError(f"--image {source}: cannot read it ({e.strerror})") from None
    return data, _IMAGE_TYPES.get(path.suffix.lower(), "application/x-image")


def _sample_image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (120, 90, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def cmd_invoke(args: argparse.Namespace) -> int:
    try:
        body, content_type = read_image(args.image)
        runtime = _client(args, "sagemaker-runtime", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME")
    except (ValueError, LookupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if content_type == "application/json":
        body = json.dumps({**json.loads(body), "top_k": args.top_k}).encode()
    started = time.perf_counter()
    try:
        response = runtime.invoke_endpoint(EndpointName=args.endpoint, Body=body,
                                           ContentType=content_type, Accept="application/json")
    except runtime.exceptions.ClientError as e:
        print(f"error: {aws_error(e)}", file=sys.stderr)
        return 1
    elapsed = (time.perf_counter() - started) * 1000
    answer = json.loads(response["Body"].read())
    print(f"endpoint {args.endpoint} (variant {response.get('InvokedProductionVariant')}, "
          f"model {answer.get('model_version', '?')}, {elapsed:.0f} ms)")
    for rank, p in enumerate(answer.get("predictions", [])[:args.top_k], 1):
        print(f"{rank:>2}. {p.get('breed', p.get('label')):<40} {p['probability']:7.2%}")
    return 0


class _Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.lock = threading.Lock()

    def add(self, latency: float | None, error: str | None = None) -> None:
        with self.lock:
            if error is None:
                self.latencies.append(latency or 0.0)
            else:
                self.errors[error] = self.errors.get(error, 0) + 1

    def snapshot(self) -> tuple[list[float], int]:
        with self.lock:
            return sorted(self.latencies), sum(self.errors.values())


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted ``values`` (0 when empty)."""
    if not values:
        return 0.0
    return values[min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))]


def _instances(sagemaker: Any, endpoint: str) -> str:
    try:
        doc = sagemaker.describe_endpoint(EndpointName=endpoint)
    except Exception:  # noqa: BLE001 - the display keeps going without the count
        return "?"
    counts = "+".join(str(v.get("CurrentInstanceCount", "?")) for v in doc.get("ProductionVariants", []))
    return counts + ("" if doc["EndpointStatus"] == "InService" else f" ({doc['EndpointStatus']})")


def cmd_load(args: argparse.Namespace) -> int:
    if not 0 < args.rps <= MAX_RPS or not 0 < args.duration <= MAX_DURATION:
        print(f"error: --rps must be in (0, {MAX_RPS}] and --duration in (0, {MAX_DURATION}]",
              file=sys.stderr)
        return 2
    try:
        url = _endpoint_url(args, "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME")
        body, content_type = read_image(args.image) if args.image else (_sample_image(), "image/jpeg")
    except (ValueError, LookupError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if url is None or urlparse(url).hostname not in _LOOPBACK:
        print(f"error: load is only sent to an endpoint on this machine (got {url or 'AWS'}); "
              "use --endpoint-url http://127.0.0.1:PORT", file=sys.stderr)
        return 2
    runtime = _client(args, "sagemaker-runtime", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME")
    sagemaker = _client(args, "sagemaker", "AWS_ENDPOINT_URL_SAGEMAKER")
    total = int(args.rps * args.duration)
    stats = _Stats()

    def one() -> None:
        started = time.perf_counter()
        try:
            runtime.invoke_endpoint(EndpointName=args.endpoint, Body=body,
                                    ContentType=content_type)["Body"].read()
        except Exception as e:  # noqa: BLE001 - every failure is counted by its kind
            stats.add(None, getattr(e, "response", {}).get("Error", {}).get("Code") or type(e).__name__)
        else:
            stats.add(time.perf_counter() - started)

    tty = sys.stdout.isatty()
    print(f"sending {total} requests to {args.endpoint} at {args.rps:g}/s for {args.duration:g} s")
    began = time.monotonic()
    with ThreadPoolExecutor(max(1, min(args.concurrency, 64))) as pool:
        sent, next_report = 0, began + 1.0
        while sent < total:
            now = time.monotonic()
            due = min(total, int((now - began) * args.rps) + 1)
            for _ in range(due - sent):
                pool.submit(one)
            sent = due
            if now >= next_report:
                _report(stats, now - began, sent, total, _instances(sagemaker, args.endpoint), tty)
                next_report += 1.0
            time.sleep(max(0.0, min(began + sent / args.rps, next_report) - time.monotonic()))
    elapsed = time.monotonic() - began
    _report(stats, elapsed, total, total, _instances(sagemaker, args.endpoint), tty)
    if tty:
        print()
    latencies, failed = stats.snapshot()
    print(f"done: {len(latencies)} ok, {failed} failed in {elapsed:.1f} s "
          f"({(len(latencies) + failed) / elapsed:.1f} req/s)")
    for code, count in sorted(stats.errors.items()):
        print(f"  {code}: {count}")
    return 0 if failed == 0 else 1


def _report(stats: _Stats, elapsed: float, sent: int, total: int, instances: str, tty: bool) -> None:
    latencies, failed = stats.snapshot()
    done = len(latencies) + failed
    bar_width = 20
    filled = int(bar_width * sent / max(total, 1))
    p50, p90, p99 = (percentile(latencies, q) * 1000 for q in (0.50, 0.90, 0.99))
    line = (f"[{'#' * filled}{'.' * (bar_width - filled)}] {elapsed:5.1f}s "
            f"{done / max(elapsed, 1e-9):6.1f} req/s  p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  "
            f"p99 {p99:6.1f} ms  errors {failed}  instances {instances}")
    print("\r" + line if tty else line, end="" if tty else "\n", flush=True)
