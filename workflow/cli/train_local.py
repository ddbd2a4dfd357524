"""``deploy_workflow.py train``: train and evaluate on this machine, on the synthetic dataset.

Generates the synthetic dogImages-layout dataset under ``./.local/synthetic``,
runs ``training_src/train.py`` on it as a subprocess (the same code a
SageMaker training job runs), streams its metric lines, then prints the
final test accuracy and where the model directory went. Also runs alone as
``python -m workflow.cli.train_local``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

TRAIN_SCRIPT = Path(__file__).resolve().parents[2] / "training_src" / "train.py"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("train", help="run train.py by hand on this machine, on the "
                              "synthetic dataset",
                              description=__doc__.splitlines()[0])
    p.add_argument("--work-dir", default=".local", help="where data, model and outputs go")
    p.add_argument("--classes", type=int, default=5)
    p.add_argument("--train-per-class", type=int, default=40)
    p.add_argument("--eval-per-class", type=int, default=10,
                   help="images per class in valid and in test")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, default=1800, help="seconds before training is stopped")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workflow.synthetic import generate_dataset  # deferred: numpy and Pillow, this command only

    work = Path(args.work_dir).resolve()
    data = work / "synthetic"
    try:
        dataset = generate_dataset(data, num_classes=args.classes,
                                   train_per_class=args.train_per_class,
                                   valid_per_class=args.eval_per_class,
                                   test_per_class=args.eval_per_class,
                                   image_size=max(48, args.image_size), seed=args.seed)
    except ValueError as exc:
        print(f"ValidationException: {exc}", file=sys.stderr)
        return 2
    print(f"dataset: {len(dataset.classes)} classes, {dataset.counts} images in {data}")
    model_dir, output_dir = work / "model", work / "output"
    command = [sys.executable, str(TRAIN_SCRIPT), "--data-dir", str(data),
               "--model-dir", str(model_dir), "--output-data-dir", str(output_dir),
               "--checkpoint-dir", "none", "--arch", "resnet18", "--pretrained", "false",
               "--epochs", str(args.epochs), "--image-size", str(args.image_size),
               "--batch-size", str(args.batch_size), "--lr", str(args.lr),
               "--seed", str(args.seed), "--num-workers", "0"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        completed = subprocess.run(command, env=env, timeout=args.timeout, check=False)
    except subprocess.TimeoutExpired:
        print(f"training did not finish within {args.timeout:g} s", file=sys.stderr)
        return 1
    if completed.returncode != 0:
        print(f"training failed with exit status {completed.returncode}", file=sys.stderr)
        return completed.returncode
    metrics = json.loads((output_dir / "metrics.json").read_text(encoding="utf-8"))
    chance = 1 / len(dataset.classes)
    print(f"test accuracy {metrics['test_accuracy']:.4f} "
          f"({metrics['test_correct']}/{metrics['test_total']}, chance {chance:.2f})")
    print(f"model: {model_dir} (serve with {model_dir / 'code' / 'inference.py'})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workflow.cli.train_local")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["train", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
