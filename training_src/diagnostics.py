"""What the five checks see, taken from the model while it trains, and what they conclude.

``Diagnostics`` hooks into the training loop (``engine``): per step it keeps
the loss as a device tensor, every ``checks.GRADIENT_INTERVAL`` TRAIN steps
the mean absolute gradient of every parameter, and during the first TRAIN
steps the variance of every activation input the PoorWeightInitialization
rule reads (forward pre-hooks, removed once those steps are over). Values are
read from the device once per pass, so the loop never waits for the GPU at a
step; the checks (``checks``) get them in step order.

At the end ``finish`` prints one metric line per rule (``metric_lines``:
``rule=Overfit issues_found=1``), which the job's MetricDefinitions turn into
the ``rule:<Rule>`` metrics, and writes ``diagnostics.json`` (verdicts,
details, parameters, per-step losses) and ``loss-curve.png`` into the output
data directory.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import checks
import metric_lines
import numpy as np
import torch
from torch import nn

REPORT = "diagnostics.json"
LOSS_CURVE = "loss-curve.png"
#: Gradient values merged for the 5th-95th percentile range; an even sample of about a
#: million of them gives the same range as all of a ResNet's, at a tenth of the cost.
PERCENTILE_SAMPLE = 1_000_000


class Diagnostics:
    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.steps = {"TRAIN": 0, "EVAL": 0}
        self.global_step = 0
        self.vanishing = checks.VanishingGradient()
        self.not_decreasing = checks.LossNotDecreasing()
        self.overfit = checks.Overfit()
        self.overtraining = checks.Overtraining()
        self.initialization = checks.PoorWeightInitialization()
        self.history: dict[str, list[tuple[int, float]]] = {"TRAIN": [], "EVAL": []}
        # This pass's values, still on the device: (mode, mode step, global step, loss).
        self._losses: list[tuple[str, int, int, torch.Tensor]] = []
        self._gradients: list[tuple[int, list[str], torch.Tensor]] = []
        self._activations: dict[int, list[torch.Tensor]] = {}
        self._calls: dict[str, int] = {}
        self._hooks = self._activation_hooks()

    # -- hooks into the loop ----------------------------------------------------------
    def _activation_hooks(self) -> list[Any]:
        pattern = re.compile(checks.DEFAULTS["PoorWeightInitialization"]["activation_inputs_regex"])
        hooks = []
        for name, module in self.model.named_modules():
            if name and pattern.match(f"{name}_input_0"):
                hooks.append(module.register_forward_pre_hook(self._activation_input))
        return hooks

    def _activation_input(self, module: nn.Module, inputs: tuple[Any, ...]) -> None:
        if not module.training or not inputs or not torch.is_tensor(inputs[0]):
            return
        self._activations.setdefault(self.steps["TRAIN"], []).append(
            inputs[0].detach().float().var(correction=0))

    def train_step(self, loss: torch.Tensor, scaler: torch.amp.GradScaler | None = None) -> None:
        """After the backward pass of one training batch, before the optimizer step."""
        step = self.steps["TRAIN"]
        self._losses.append(("TRAIN", step, self.global_step, loss.detach().float()))
        if step % checks.GRADIENT_INTERVAL == 0:
            self._sample_gradients(step, scaler)
        self.steps["TRAIN"] += 1
        self.global_step += 1
        if self._hooks and self.steps["TRAIN"] >= self.initialization.steps:
            for hook in self._hooks:
                hook.remove()
            self._hooks = []

    def eval_step(self, loss: torch.Tensor) -> None:
        """After one validation batch (the final test pass is not a validation step)."""
        self._losses.append(("EVAL", self.steps["EVAL"], self.global_step, loss.detach().float()))
        self.steps["EVAL"] += 1
        self.global_step += 1

    def _sample_gradients(self, step: int, scaler: torch.amp.GradScaler | None) -> None:
        named = [(n, p.grad) for n, p in self.model.named_parameters()
                 if p.requires_grad and p.grad is not None]
        if not named:
            return
        # With AMP the gradients are scaled; the rules judge the true ones.
        unscale = 1.0 / scaler.get_scale() if scaler is not None else 1.0
        grads = [g.detach() for _, g in named]
        # The L1 norm over the size is the mean absolute value, without an |g| copy of each.
        means = torch.stack([torch.linalg.vector_norm(g, 1, dtype=torch.float32) / g.numel()
                             for g in grads]) * unscale
        self._gradients.append((step, [n for n, _ in named], means))
        if step < self.initialization.steps:
            stride = max(1, sum(g.numel() for g in grads) // PERCENTILE_SAMPLE)
            sample = torch.cat([g.reshape(-1)[::stride] for g in grads]).float().cpu().numpy() * unscale
            low, high = np.percentile(sample, [5, 95])
            self.initialization.gradient_range(step, float(low), float(high))

    def end_pass(self) -> None:
        """Read this pass's values off the device (one transfer) and feed the checks."""
        if self._losses:
            values = torch.stack([t for *_, t in self._losses]).tolist()
            for (mode, step, global_step, _), value in zip(self._losses, values, strict=False):
                self._loss(mode, step, global_step, value)
        for step, names, means in self._gradients:
            self.vanishing.gradients(step, dict(zip(names, means.tolist(), strict=False)))
        for step in sorted(self._activations):
            self.initialization.activations(step, torch.stack(self._activations[step]).tolist())
        self._losses, self._gradients, self._activations = [], [], {}

    def _loss(self, mode: str, step: int, global_step: int, value: float) -> None:
        self.history[mode].append((global_step, value))
        self.not_decreasing.loss(mode, step, value)
        self.overfit.loss(mode, global_step, value)
        self.overtraining.loss(mode, step, value)
        if mode == "TRAIN":
            self.initialization.loss(step, value)

    # -- results ----------------------------------------------------------------------
    def verdicts(self) -> list[checks.Verdict]:
        self.end_pass()
        return [self.vanishing.verdict(), self.overfit.verdict(), self.overtraining.verdict(),
                self.initialization.verdict(), self.not_decreasing.verdict()]

    def close(self) -> None:
        for hook in self._hooks:
            hook.remove()
        self._hooks = []

    def finish(self, output_data_dir: str | Path) -> list[checks.Verdict]:
        """Print the verdicts as metric lines; write the report and the loss curve."""
        self.close()
        verdicts = self.verdicts()
        for verdict in verdicts:
            print(metric_lines.rule_line(verdict.rule, verdict.issues_found), flush=True)
            print(f"{verdict.rule}: {verdict.details}", file=sys.stderr, flush=True)
        out = Path(output_data_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / REPORT).write_text(json.dumps({
            "rules": [v.as_dict() for v in verdicts],
            "gradient_interval": checks.GRADIENT_INTERVAL,
            "losses": {mode.lower(): series for mode, series in self.history.items()},
        }, indent=1), encoding="utf-8")
        draw_loss_curve(self.history, out / LOSS_CURVE)
        return verdicts


def draw_loss_curve(history: dict[str, list[tuple[int, float]]], out: Path) -> bool:
    """Training and validation loss by global step as a PNG; False when matplotlib is missing
    (the PyTorch training images ship it) or nothing was recorded."""
    try:
        from matplotlib.figure import Figure  # deferred: needed once, at the end, and optional
    except ImportError:
        print("loss curve: matplotlib is not installed; not drawn", file=sys.stderr, flush=True)
        return False
    if not history["TRAIN"]:
        return False
    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    values: list[float] = []
    for mode, label, style in (("TRAIN", "training", "-"), ("EVAL", "validation", ".")):
        if history[mode]:
            x, y = zip(*history[mode], strict=False)
            ax.plot(x, y, style, label=f"{label} loss", markersize=3)
            values += [v for v in y if np.isfinite(v)]
    if values and min(values) > 0 and max(values) / min(values) > 100:
        ax.set_yscale("log")  # an early spike would flatten the rest of the curve
    ax.set(title="Loss by step", xlabel="step (training and validation batches)", ylabel="loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.12)
    fig.savefig(out, format="png")
    return True
