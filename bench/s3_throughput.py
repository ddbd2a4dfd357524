"""Throughput of the local S3 against the disk it writes to, and StageData through it.

Side by side in one run, on the same disk:
  * PutObject and GetObject of a 1 GB file through the local server (boto3, default
    checksums on) against ``shutil.copyfile`` of the same file: MB/s each, and the
    ratio (goal: >= 0.3 each way). ``upload_file``/``download_file`` (parallel
    multipart) are printed beside them, and the same transfers through s3transfer's CRT
    client (the AWS CLI v2's with ``preferred_transfer_client = crt``): native threads, CRC32
    trailers instead of a signed SHA-256 of the body.
  * StageData (lambdas/stage_data) on a 1 GB zip in the dogImages layout, once with
    the zip and the data prefix in local S3 and once as file:// paths: wall times
    and the ratio (goal: S3 <= 2x file://).
  * The load average before and after: other work on the machine moves every figure.
  * Beside each S3 figure, the CPU seconds the client (this process: boto3) and the
    server process spent on it: which side a faster run has to win on.

    python bench/s3_throughput.py [--size-mb 1024] [--keep]
"""
from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import socket
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import boto3
import botocore.session
import psutil
from awscrt.auth import AwsCredentialsProvider
from botocore.config import Config
from PIL import Image
from s3transfer.crt import BotocoreCRTRequestSerializer, CRTTransferManager, create_s3_crt_client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "lambdas"))

from workflow.local import lifecycle  # noqa: E402

MB = 1 << 20
SPLITS = {"train": 8, "valid": 1, "test": 1}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_random(path: Path, size: int) -> None:
    with path.open("wb") as out:
        for _ in range(size // MB):
            out.write(os.urandom(MB))


def timed(action) -> float:  # a callable
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


class CpuSplit:
    """The CPU seconds this process (the client) and the server process spend on each
    timed action, by the action's name."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)
        self.client = psutil.Process()
        self.spent: dict[str, tuple[float, float]] = {}

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return times.user + times.system

    def timed(self, name: str, action) -> float:
        client, server = self._cpu(self.client), self._cpu(self.server)
        seconds = timed(action)
        self.spent[name] = (self._cpu(self.client) - client, self._cpu(self.server) - server)
        return seconds

    def line(self, name: str, count: int = 0) -> str:
        client, server = self.spent[name]
        each = (f"; per object {1000 * client / count:.2f} / {1000 * server / count:.2f} ms"
                if count else "")
        return f"      CPU: client {client:6.2f} s, server {server:6.2f} s{each}"


def dog_images_zip(path: Path, size: int) -> int:
    """A zip in the dogImages layout (133 breeds; train/valid/test 8:1:1) of about ``size``
    bytes of real JPEGs (a few dozen noisy pictures under many names)."""
    pictures = []
    for seed in range(24):
        noise = Image.effect_noise((330, 330), 60 + seed).convert("RGB")
        buffer = io.BytesIO()
        noise.save(buffer, "JPEG", quality=95)
        pictures.append(buffer.getvalue())
    average = sum(map(len, pictures)) / len(pictures)
    count = max(int(size / average), 133 * 10)
    written = 0
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        index = 0
        while index < count:
            for split, share in SPLITS.items():
                for _ in range(share):
                    breed = index % 133
                    name = f"dogImages/{split}/{breed + 1:03d}.Breed_{breed + 1}/Breed_{index:05d}.jpg"
                    archive.writestr(name, pictures[index % len(pictures)])
                    written += 1
                    index += 1
    return written


def client(endpoint_url: str) -> object:
    return boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                 region_name="us-east-1").client(
        "s3", endpoint_url=endpoint_url, config=Config(retries={"mode": "standard", "max_attempts": 2},
                                                       read_timeout=600))


def crt_transfers(endpoint_url: str) -> CRTTransferManager:
    """s3transfer's CRT transfer manager on the local endpoint, as the AWS CLI v2 builds it."""
    crt = create_s3_crt_client("us-east-1", AwsCredentialsProvider.new_static("local", "local"), use_ssl=False)
    serializer = BotocoreCRTRequestSerializer(botocore.session.Session(), {
        "region_name": "us-east-1", "endpoint_url": endpoint_url, "config": Config(s3={"addressing_style": "path"})})
    return CRTTransferManager(crt, serializer)


def load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    size = args.size_mb * MB
    # On the same disk as the checkout (where a run's server keeps its data).
    work = Path(tempfile.mkdtemp(prefix="bench-s3-", dir=ROOT / ".."))
    state = process = None
    print(f"before: {load()} on {os.cpu_count()} cores")
    try:
        source = work / "source.bin"
        write_random(source, size)
        copy_seconds = timed(lambda: shutil.copyfile(source, work / "copy.bin"))
        (work / "copy.bin").unlink()
        state, process = lifecycle.start(work / "server", port=free_port())
        s3 = client(state.endpoint_url)
        s3.create_bucket(Bucket="bench")
        cpu = CpuSplit(state.pid)

        def put() -> None:
            with source.open("rb") as body:
                s3.put_object(Bucket="bench", Key="one-put", Body=body)

        def get() -> None:
            answer = s3.get_object(Bucket="bench", Key="one-put")
            with (work / "got.bin").open("wb") as out:
                while chunk := answer["Body"].read(MB):
                    out.write(chunk)

        def hash_floor() -> None:
            # What any server must compute over a signed PutObject: MD5 (the ETag) and
            # the SHA-256 the client signed (botocore signs the payload over http).
            md5, sha = hashlib.md5(), hashlib.sha256()  # noqa: S324 - S3's ETag
            with source.open("rb") as body:
                while chunk := body.read(MB):
                    md5.update(chunk)
                    sha.update(chunk)

        floor_seconds = timed(hash_floor)
        put_seconds = cpu.timed("put", put)
        get_seconds = cpu.timed("get", get)
        (work / "got.bin").unlink()
        upload_seconds = timed(lambda: s3.upload_file(str(source), "bench", "multipart"))
        download_seconds = timed(lambda: s3.download_file("bench", "multipart", str(work / "down.bin")))
        (work / "down.bin").unlink()
        with crt_transfers(state.endpoint_url) as transfers:
            crt_up_seconds = cpu.timed("crt-up", lambda: transfers.upload(str(source), "bench", "crt", {}).result())
            crt_down_seconds = cpu.timed("crt-down", lambda: transfers.download(
                "bench", "crt", str(work / "down.bin"), {}).result())
        (work / "down.bin").unlink()
        s3.delete_objects(Bucket="bench", Delete={"Objects": [{"Key": k} for k in ("one-put", "multipart", "crt")]})
        source.unlink()
        mbs = args.size_mb
        copy_rate = mbs / copy_seconds
        print(f"shutil.copyfile, {mbs} MB on this disk:      {copy_rate:8.1f} MB/s")
        print(f"MD5 + SHA-256 of the file in one process:   {mbs / floor_seconds:8.1f} MB/s   "
              f"(the hashing a signed PutObject needs; PutObject's share of it: "
              f"{floor_seconds / put_seconds:.2f})")
        rows = [  # label, seconds, the CPU split's name, whether the issue sets a goal on it
            ("PutObject (boto3 put_object, one request):", put_seconds, "put", True),
            ("GetObject (boto3 get_object, one request):", get_seconds, "get", True),
            ("upload_file (multipart, parallel parts):", upload_seconds, None, False),
            ("download_file (ranged GETs, parallel):", download_seconds, None, False),
            ("CRT transfer client, upload:", crt_up_seconds, "crt-up", False),
            ("CRT transfer client, download:", crt_down_seconds, "crt-down", False),
        ]
        for label, seconds, split, goal in rows:
            print(f"{label:<44}{mbs / seconds:8.1f} MB/s   ratio {mbs / seconds / copy_rate:.2f}"
                  + ("  goal >= 0.3" if goal else ""))
            if split is not None:
                print(cpu.line(split))

        zip_path = work / "dogImages.zip"
        images = dog_images_zip(zip_path, size)
        s3.upload_file(str(zip_path), "bench", "incoming/dogImages.zip")
        os.environ.update(AWS_ENDPOINT_URL=state.endpoint_url, AWS_ACCESS_KEY_ID="local",
                          AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")
        from stage_data.staging import stage_dataset

        file_seconds = timed(lambda: stage_dataset(zip_path.as_uri(), (work / "staged").as_uri(), workdir=work))
        s3_seconds = cpu.timed("stage", lambda: stage_dataset("s3://bench/incoming/dogImages.zip",
                                                              "s3://bench/data", workdir=work))
        print(f"StageData, {zip_path.stat().st_size / MB:.0f} MB zip of {images} images:")
        print(f"  file:// zip and data prefix:              {file_seconds:8.1f} s")
        print(f"  s3:// zip and data prefix (local S3):     {s3_seconds:8.1f} s   "
              f"ratio {s3_seconds / file_seconds:.2f}  goal <= 2")
        print(cpu.line("stage", images))
        print(f"after: {load()}")
        return 0
    finally:
        if state is not None:
            lifecycle.stop(work / "server")
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
