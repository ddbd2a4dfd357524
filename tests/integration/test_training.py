"""train.py as a SageMaker training job runs it: a real subprocess on synthetic data."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from workflow.synthetic import generate_dataset

ROOT = Path(__file__).resolve().parents[2]
TRAIN = ROOT / "training_src" / "train.py"
DEFINITIONS = json.loads((ROOT / "training_src" / "metric_definitions.json").read_text())
TINY = ["--image-size", "32", "--batch-size", "8", "--num-workers", "0", "--seed", "0"]


def run_train(args: list[str], env: dict[str, str] | None = None,
              timeout: float = 240) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "SMDEBUG"))}
    base.update(env or {})
    # A scratch working directory: defaults such as --output-data-dir output are relative to it.
    with tempfile.TemporaryDirectory(prefix="train-") as scratch:
        return subprocess.run([sys.executable, str(TRAIN), *args], env=base, capture_output=True,
                              text=True, timeout=timeout, check=False, cwd=scratch)


def metric(name: str, stdout: str) -> list[float]:
    regex = next(d["Regex"] for d in DEFINITIONS if d["Name"] == name)
    return [float(m.group(1)) for m in re.finditer(regex, stdout)]


@pytest.fixture(scope="module")
def five_classes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    generate_dataset(root, num_classes=5, train_per_class=30, valid_per_class=10,
                     test_per_class=10, image_size=48, seed=3)
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    generate_dataset(root, num_classes=2, train_per_class=4, valid_per_class=2,
                     test_per_class=2, image_size=32, seed=4)
    return root


def test_short_run_in_the_sagemaker_environment_learns(five_classes, tmp_path):
    """SM_* channels and paths, JSON-encoded hyperparameters, accuracy far above chance."""
    env = {"SM_CHANNEL_TRAINING": str(five_classes), "SM_MODEL_DIR": str(tmp_path / "model"),
           "SM_OUTPUT_DATA_DIR": str(tmp_path / "out"), "TRAINING_JOB_NAME": "job-42"}
    proc = run_train(["--epochs", "3", "--optimizer", '"adamw"', "--lr", '"0.001"',
                      "--batch-size", '"16"', "--image-size", "32", "--num-workers", "0",
                      "--_tuning_objective_metric", "valid:accuracy"], env)
    assert proc.returncode == 0, proc.stderr
    assert len(metric("valid:accuracy", proc.stdout)) == 3
    assert len(metric("train:loss", proc.stdout)) == 3
    [test_accuracy] = metric("test:accuracy", proc.stdout)
    assert test_accuracy >= 3 * (1 / 5), proc.stdout
    assert "no hook configuration" in proc.stderr
    model = tmp_path / "model"
    config = json.loads((model / "model_config.json").read_text())
    assert (config["arch"], config["num_classes"], config["image_size"]) == ("resnet18", 5, 32)
    assert config["model_version"] == "job-42" and config["mean"] == [0.485, 0.456, 0.406]
    classes = json.loads((model / "classes.json").read_text())
    assert classes["0"] == "001.Affenpinscher" and len(classes) == 5
    assert (model / "model.pth").is_file() and (model / "code" / "inference.py").is_file()
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["test_total"] == 50
    assert metrics["test_accuracy"] == pytest.approx(metrics["test_correct"] / 50)


def test_resume_continues_the_epoch_count_and_keeps_the_tuned_lr(tiny, tmp_path):
    common = ["--data-dir", str(tiny), "--model-dir", str(tmp_path / "m"),
              "--output-data-dir", str(tmp_path / "o"), "--checkpoint-dir", str(tmp_path / "ck"),
              "--optimizer", '"sgd"', "--lr", '"0.0123"', "--momentum", "0.7",
              "--weight-decay", "0.0005", "--lr-scheduler", "none", *TINY]
    first = run_train([*common, "--epochs", "1"])
    assert first.returncode == 0, first.stderr
    assert [line.split()[0] for line in first.stdout.splitlines() if line.startswith("epoch=")] \
        == ["epoch=1"]
    state = torch.load(tmp_path / "ck" / "checkpoint.pt", weights_only=False)
    group = state["optimizer"]["param_groups"][0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (0.0123, 0.7, 0.0005)
    assert state["epoch"] == 1

    second = run_train([*common, "--epochs", "3"])
    assert second.returncode == 0, second.stderr
    assert "resumed from checkpoint" in second.stderr
    epochs = [line.split()[0] for line in second.stdout.splitlines() if line.startswith("epoch=")]
    assert epochs == ["epoch=2", "epoch=3"]
    state = torch.load(tmp_path / "ck" / "checkpoint.pt", weights_only=False)
    assert state["epoch"] == 3 and len(state["history"]) == 3
    assert set(state) >= {"model", "optimizer", "scheduler", "scaler", "epoch"}


@pytest.mark.parametrize("damage, expected", [
    (lambda d: shutil.rmtree(d / "valid"), "missing 'valid' split"),
    (lambda d: (d / "test" / "001.Affenpinscher").rename(d / "test" / "009.Other"),
     "'test' split"),
])
def test_bad_layout_fails_with_the_reason_in_the_failure_file(tiny, tmp_path, damage, expected):
    data = tmp_path / "data"
    shutil.copytree(tiny, data)
    damage(data)
    failure = tmp_path / "failure"
    proc = run_train(["--data-dir", str(data), "--model-dir", str(tmp_path / "m"), *TINY],
                     {"SM_OUTPUT_FAILURE": str(failure)})
    assert proc.returncode != 0
    assert expected in failure.read_text()
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "m").exists()


def test_pretrained_weights_unreachable_fail_clearly(tiny, tmp_path):
    env = {"TORCH_HOME": str(tmp_path / "torch"), "HTTPS_PROXY": "http://127.0.0.1:9",
           "https_proxy": "http://127.0.0.1:9", "NO_PROXY": "", "no_proxy": "",
           "SM_OUTPUT_FAILURE": str(tmp_path / "failure")}
    proc = run_train(["--data-dir", str(tiny), "--pretrained", "true", "--epochs", "1", *TINY],
                     env)
    assert proc.returncode != 0
    reason = (tmp_path / "failure").read_text()
    assert "ImageNet weights" in reason and "--pretrained false" in reason


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # smdebug's generated protobuf code
def test_debugger_hook_writes_a_readable_trial(tiny, tmp_path):
    import smdebug.pytorch as smd
    from smdebug.trials import create_trial

    tensors = tmp_path / "tensors"
    config = tmp_path / "debughookconfig.json"
    config.write_text(json.dumps({
        "LocalPath": str(tensors), "HookParameters": {"save_interval": "1"},
        "CollectionConfigurations": [{"CollectionName": "losses"},
                                     {"CollectionName": "gradients"},
                                     {"CollectionName": "weights"}]}))
    proc = run_train(["--data-dir", str(tiny), "--model-dir", str(tmp_path / "m"),
                      "--output-data-dir", str(tmp_path / "o"), "--epochs", "2", *TINY],
                     {"SMDEBUG_CONFIG_FILE_PATH": str(config)})
    assert proc.returncode == 0, proc.stderr
    trial = create_trial(str(tensors))
    [loss] = trial.tensor_names(collection="losses")
    assert len(trial.tensor(loss).steps(mode=smd.modes.TRAIN)) == 2  # 8 images / batch 8, 2 epochs
    assert trial.tensor(loss).steps(mode=smd.modes.EVAL)
    assert trial.tensor_names(regex="gradient/.*fc.weight")
    assert any("fc.weight" in name for name in trial.tensor_names(collection="weights"))


def test_profile_writes_steps_system_samples_and_a_trace(tiny, tmp_path):
    out = tmp_path / "o"
    proc = run_train(["--data-dir", str(tiny), "--model-dir", str(tmp_path / "m"),
                      "--output-data-dir", str(out), "--epochs", "1", "--profile", "true",
                      "--profile-trace-steps", "1", "--system-sample-seconds", "0.1", *TINY])
    assert proc.returncode == 0, proc.stderr
    steps = [json.loads(line) for line in (out / "profiler" / "steps.jsonl").open()]
    assert {s["mode"] for s in steps} == {"train", "eval", "test"}
    assert set(steps[0]) == {"epoch", "step", "mode", "data_seconds", "compute_seconds",
                             "batch_size", "timestamp"}
    assert sum(s["batch_size"] for s in steps if s["mode"] == "train") == 8
    samples = [json.loads(line) for line in (out / "profiler" / "system.jsonl").open()]
    assert samples and samples[0]["rss_bytes"] > 0 and "cpu_percent" in samples[0]
    trace = json.loads((out / "profiler" / "trace.json").read_text())
    assert trace["traceEvents"]
    summary = json.loads((out / "profiler" / "summary.json").read_text())
    assert summary["images"] == 8 + 4 + 4  # train, valid, test


def test_checks_and_profile_are_written_and_an_unreachable_tracking_server_is_only_mentioned(tiny, tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = tmp_path / "o"
    proc = run_train(["--data-dir", str(tiny), "--model-dir", str(tmp_path / "m"),
                      "--output-data-dir", str(out), "--epochs", "2", *TINY],
                     {"MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}", "TRACKING_CONNECT_SECONDS": "3",
                      "PIPELINE_EXECUTION_ARN": "arn:aws:states:us-east-1:123456789012:execution:m:e",
                      "PIPELINE_STEP": "training"})
    assert proc.returncode == 0, proc.stderr
    mentions = [line for line in proc.stderr.splitlines() if line.startswith("MLflow:")]
    assert len(mentions) == 1 and f"127.0.0.1:{port}" in mentions[0], mentions
    for name in ("VanishingGradient", "Overfit", "Overtraining", "PoorWeightInitialization", "LossNotDecreasing"):
        assert metric(f"rule:{name}", proc.stdout) in ([0.0], [1.0]), name
    assert not metric("registry:model_version", proc.stdout)
    report = json.loads((out / "diagnostics.json").read_text())
    assert [r["rule"] for r in report["rules"]] == ["VanishingGradient", "Overfit", "Overtraining",
                                                   "PoorWeightInitialization", "LossNotDecreasing"]
    assert (out / "loss-curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "profile-summary.json").read_text())["train"]["images"] == 16


def test_local_training_command_trains_on_the_embedded_dataset(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "workflow.cli.train_local", "--work-dir", str(tmp_path),
         "--classes", "2", "--train-per-class", "4", "--eval-per-class", "2", "--epochs", "1"],
        capture_output=True, text=True, timeout=240, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^epoch=1 train_loss=", proc.stdout, re.M)
    assert re.search(r"^test accuracy [0-9.]+ \(\d+/4, chance 0.50\)", proc.stdout, re.M)
    assert (tmp_path / "model" / "model.pth").is_file()


def test_checkpoint_of_another_model_fails_clearly(tiny, five_classes, tmp_path):
    common = ["--model-dir", str(tmp_path / "m"), "--checkpoint-dir", str(tmp_path / "ck"),
              "--epochs", "2", *TINY]
    first = run_train(["--data-dir", str(tiny), *common, "--epochs", "1"])
    assert first.returncode == 0, first.stderr
    failure = tmp_path / "failure"
    second = run_train(["--data-dir", str(five_classes), *common],
                       {"SM_OUTPUT_FAILURE": str(failure)})
    assert second.returncode != 0
    assert "does not fit this job" in failure.read_text()
