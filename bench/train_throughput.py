"""Images/s of train.py's training loop against a plain PyTorch loop, side by side.

Both loops train copies of the same freshly initialised ResNet on the same
batches (decoded once from the synthetic dataset and kept in memory, so the
figures compare the loops, not image decoding), alternating in rounds so
that machine load affects both alike. Printed:

* ``engine/plain``: train.py's ``train_one_epoch`` over the plain loop
  (target >= 0.95, debugger off);
* ``checks/plain``: the same loop with what train.py always runs beside it, the
  five built-in checks (``diagnostics``) and the step timings of the profile
  summary, over the plain loop (target >= 0.97);
* ``debugger/engine``: the same loop with the smdebug hook registered from a
  hook configuration (losses, weights, biases, gradients every
  ``--save-interval`` steps) over the loop without it;
* each ratio from wall time and from this process's CPU time (on a shared
  CPU machine other processes disturb wall time far more than CPU time);
* peak memory of each variant (CUDA: peak allocated; CPU: peak RSS rise);
* with CUDA, images/s with AMP + channels_last against fp32;
* MLflow's cost per epoch against a real tracking server started for the
  benchmark: on the training thread (handing the epoch's metrics to the
  tracking thread) and on the tracking thread (the HTTP call), and the one-off
  costs of a job (MLflow's import, the run's creation).

    python bench/train_throughput.py [--device cuda] [--image-size 32] [--rounds 5]
"""
from __future__ import annotations

import argparse
import atexit
import copy
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "training_src"))
sys.path.insert(0, str(ROOT))

import breed_data  # noqa: E402
import debugger  # noqa: E402
from diagnostics import Diagnostics  # noqa: E402
from engine import train_one_epoch  # noqa: E402
from network import build_model  # noqa: E402
from profile_summary import StepTimes  # noqa: E402
from tracking import Tracker  # noqa: E402

from workflow.local.mlflow_server import TrackingServer  # noqa: E402
from workflow.synthetic import generate_dataset  # noqa: E402


class PeakMemory:
    """Peak CUDA allocation, or peak RSS rise sampled every 5 ms on CPU."""

    def __init__(self, device: torch.device) -> None:
        self.device, self.peak, self._stop = device, 0, threading.Event()

    def __enter__(self) -> PeakMemory:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        else:
            proc = psutil.Process()
            base = proc.memory_info().rss

            def sample() -> None:
                while not self._stop.wait(0.005):
                    self.peak = max(self.peak, proc.memory_info().rss - base)
            self._thread = threading.Thread(target=sample, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize()
            self.peak = torch.cuda.max_memory_allocated()
        else:
            self._stop.set()
            self._thread.join(timeout=5)


def plain_loop(model, criterion, optimizer, batches, device) -> None:
    model.train()
    for images, targets in batches:
        images, targets = images.to(device), targets.to(device)
        loss = criterion(model(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def make_batches(args, device, work: Path) -> tuple[list, int]:
    per_class = max(1, args.batch_size * args.batches // args.classes)
    generate_dataset(work, num_classes=args.classes, train_per_class=per_class,
                     valid_per_class=1, test_per_class=1, image_size=max(48, args.image_size))
    datasets = breed_data.build_datasets(breed_data.resolve_split_dirs(str(work)),
                                         args.image_size)
    loader = breed_data.build_loaders(datasets, args.batch_size, 0, seed=0)["train"]
    batches = [(x.to(device), y.to(device)) for x, y in loader][: args.batches]
    return batches, sum(len(y) for _, y in batches)


def timed(fn, device) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call."""
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--batches", type=int, default=6)
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--save-interval", type=int, default=10)
    p.add_argument("--no-mlflow", action="store_true", help="skip the MLflow measurement")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch; 1 keeps OpenMP from spin-waiting on a busy machine")
    args = p.parse_args()
    device = torch.device(args.device)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    scratch = Path(tempfile.mkdtemp(prefix="bench-train-"))
    # Registered before smdebug registers its own exit handler, so it runs after it:
    # smdebug writes training_job_end.ts into the hook's folder at exit.
    atexit.register(shutil.rmtree, scratch, True)
    return measure(args, device, scratch)


def measure(args: argparse.Namespace, device: torch.device, scratch: Path) -> int:
    batches, images = make_batches(args, device, scratch / "data")
    base = build_model(args.arch, args.classes).to(device)
    criterion = nn.CrossEntropyLoss()

    def fresh(model=None):
        m = copy.deepcopy(model or base)
        return m, torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9)

    variants = {
        "plain": lambda m, o: plain_loop(m, criterion, o, batches, device),
        "engine": lambda m, o: train_one_epoch(m, criterion, o, batches, device, 1),
    }
    models = {name: fresh() for name in variants}
    checked_model, checked_opt = fresh()
    checks, timings = Diagnostics(checked_model), StepTimes(device.type == "cuda").start()
    models["checks"] = (checked_model, checked_opt)
    variants["checks"] = lambda m, o: train_one_epoch(m, criterion, o, batches, device, 1,
                                                      diagnostics=checks, timings=timings)
    if device.type == "cuda":
        amp_model, amp_opt = fresh()
        amp_model.to(memory_format=torch.channels_last)
        scaler = torch.amp.GradScaler("cuda")
        models["engine_amp"] = (amp_model, amp_opt)
        variants["engine_amp"] = lambda m, o: train_one_epoch(
            m, criterion, o, batches, device, 1, scaler=scaler, channels_last=True)
    hook_dir = scratch / "hook"
    hook_dir.mkdir()
    config = hook_dir / "debughookconfig.json"
    config.write_text(json.dumps({
        "LocalPath": str(hook_dir / "tensors"),
        "HookParameters": {"save_interval": str(args.save_interval)},
        "CollectionConfigurations": [{"CollectionName": n} for n in
                                     ("losses", "weights", "biases", "gradients")]}))
    os.environ[debugger.CONFIG_ENV] = str(config)
    hooked_model, hooked_opt = fresh()
    hooked_criterion = nn.CrossEntropyLoss()  # the hook attaches to it; keep the others clean
    hook = debugger.create_hook(hooked_model, hooked_criterion)
    models["debugger"] = (hooked_model, hooked_opt)
    variants["debugger"] = lambda m, o: train_one_epoch(m, hooked_criterion, o, batches, device,
                                                        1, hook=hook)

    for name, fn in variants.items():  # warm-up: allocator, cuDNN autotuning, hook setup
        fn(*models[name])
    rates: dict[str, list[float]] = {name: [] for name in variants}
    cpu_rates: dict[str, list[float]] = {name: [] for name in variants}
    peaks: dict[str, int] = {name: 0 for name in variants}
    names = list(variants)
    for round_index in range(args.rounds):
        shift = round_index % len(names)  # rotate the order so no variant always goes first
        for name in names[shift:] + names[:shift]:
            with PeakMemory(device) as mem:
                wall, cpu = timed(lambda n=name: variants[n](*models[n]), device)
            rates[name].append(images / wall)
            cpu_rates[name].append(images / cpu)
            peaks[name] = max(peaks[name], mem.peak)
    debugger.close(hook)
    checks.close()
    timings.summary()

    # Best round per variant (as timeit does): other processes on a shared machine only
    # ever slow a round down, so the fastest round is the least disturbed measurement.
    rate = {name: max(values) for name, values in rates.items()}
    spread = {name: statistics.median(values) for name, values in rates.items()}
    print(f"device={device} arch={args.arch} image_size={args.image_size} "
          f"batch_size={args.batch_size} images_per_round={images} rounds={args.rounds} "
          f"threads={torch.get_num_threads()} "
          f"torch={torch.__version__}")
    for name in variants:
        print(f"{name:>10}: {rate[name]:8.1f} images/s (median {spread[name]:8.1f})   "
              f"peak memory {peaks[name] / 2**20:8.1f} MiB")
    cpu_rate = {name: max(values) for name, values in cpu_rates.items()}
    print(f"ratio engine/plain = {rate['engine'] / rate['plain']:.3f} wall, "
          f"{cpu_rate['engine'] / cpu_rate['plain']:.3f} per CPU-second  (target >= 0.95)")
    print(f"ratio checks/plain = {rate['checks'] / rate['plain']:.3f} wall, "
          f"{cpu_rate['checks'] / cpu_rate['plain']:.3f} per CPU-second  (target >= 0.97; "
          f"checks/engine {rate['checks'] / rate['engine']:.3f})")
    print(f"ratio debugger/engine = {rate['debugger'] / rate['engine']:.3f} wall, "
          f"{cpu_rate['debugger'] / cpu_rate['engine']:.3f} per CPU-second  "
          f"(smdebug hook, save_interval={args.save_interval})")
    if "engine_amp" in rate:
        print(f"ratio amp+channels_last/fp32 = {rate['engine_amp'] / rate['engine']:.3f}")
    if not args.no_mlflow:
        measure_mlflow(scratch / "mlflow")
    return 0


def measure_mlflow(folder: Path, epochs: int = 20) -> None:
    """MLflow's cost per epoch, against a tracking server like the local server's."""
    server = TrackingServer(folder)
    server.start()
    try:
        if not server.ready.wait(300):
            print("MLflow: the tracking server did not start; no figures")
            return
        started = time.perf_counter()
        tracker = Tracker(server.url, "bench", "bench-job", None, None).start({"lr": 0.01})
        while tracker.run_id is None and time.perf_counter() - started < 120:
            time.sleep(0.01)
        ready = time.perf_counter() - started
        metrics = {"train_loss": 0.5, "train_accuracy": 0.8, "valid_loss": 0.6, "valid_accuracy": 0.7,
                   "train_images_per_second": 100.0}
        handed, sent = [], []
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        client = MlflowClient(server.url)
        for epoch in range(1, epochs + 1):
            t0 = time.perf_counter()
            tracker.epoch(epoch, metrics)
            handed.append(time.perf_counter() - t0)
            t0 = time.perf_counter()  # what the tracking thread does with it
            client.log_batch(tracker.run_id, metrics=[Metric(k, v, int(time.time() * 1000), epoch)
                                                      for k, v in metrics.items()])
            sent.append(time.perf_counter() - t0)
        tracker.failed("benchmark over", timeout=30)
        print(f"MLflow per epoch: {statistics.median(handed) * 1e6:.0f} us on the training thread, "
              f"{statistics.median(sent) * 1000:.1f} ms on the tracking thread (median of {epochs}); "
              f"once per job: {ready:.1f} s from start to a run (import and run creation, on the "
              f"tracking thread)")
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
