"""The five training checks, judged while the script trains, as Debugger's built-in rules judge them.

Each check follows the documented built-in rule of the same name, with its
parameter names and default values (SageMaker Developer Guide, "List of
Debugger built-in rules"), applied to what the rule would read from the
Debugger hook's tensors:

* steps are counted as the hook counts them: a TRAIN step per training batch,
  an EVAL step per validation batch (each mode from 0), and one global step
  per batch of any mode;
* the loss is the loss module's output at every step (the ``losses``
  collection, saved every step);
* gradients are sampled every ``GRADIENT_INTERVAL`` TRAIN steps (the
  ``gradients`` collection the pipeline's Debugger configuration saves);
* activations are the inputs of the modules whose tensor name matches
  ``activation_inputs_regex`` (``<module>_input_<call>``), during the first
  ``steps`` TRAIN steps.

The checks are fed values one step at a time and never look back further
than their window, so they cost nothing that grows with the run. A verdict,
once an issue is found, stays found (as a rule's ``IssuesFound`` does).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Every how many TRAIN steps the gradients are sampled.
GRADIENT_INTERVAL = 10

#: The documented defaults of each rule's parameters.
DEFAULTS: dict[str, dict[str, Any]] = {
    "VanishingGradient": {"threshold": 1e-7},
    "Overfit": {"start_step": 0, "patience": 1, "ratio_threshold": 0.1},
    "Overtraining": {"patience_train": 5, "patience_validation": 10, "delta": 0.01},
    "PoorWeightInitialization": {"activation_inputs_regex": ".*relu_input", "threshold": 10.0,
                                 "distribution_range": 0.001, "patience": 5, "steps": 10},
    "LossNotDecreasing": {"num_steps": 10, "diff_percent": 0.1, "increase_threshold_percent": 5.0},
}
RULE_NAMES = tuple(DEFAULTS)


@dataclass
class Verdict:
    rule: str
    issues_found: bool
    details: str

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "issues_found": self.issues_found, "details": self.details,
                "parameters": DEFAULTS[self.rule]}


class VanishingGradient:
    """The smallest mean absolute gradient of any parameter at any sampled step."""

    def __init__(self, threshold: float = DEFAULTS["VanishingGradient"]["threshold"]) -> None:
        self.threshold = threshold
        self.smallest: tuple[float, str, int] | None = None

    def gradients(self, step: int, mean_abs: dict[str, float]) -> None:
        for name, value in mean_abs.items():
            if math.isfinite(value) and (self.smallest is None or value < self.smallest[0]):
                self.smallest = (value, name, step)

    def verdict(self) -> Verdict:
        if self.smallest is None:
            return Verdict("VanishingGradient", False, "No gradient was sampled in TRAIN mode.")
        value, name, step = self.smallest
        if value < self.threshold:
            return Verdict("VanishingGradient", True,
                           f"Vanishing gradient: mean absolute value of {name} was {value:.3g} at "
                           f"step {step}, below threshold {self.threshold:g}.")
        return Verdict("VanishingGradient", False,
                       f"Smallest mean absolute gradient {value:.3g} ({name}, step {step}) stays "
                       f"above threshold {self.threshold:g}.")


@dataclass
class _Window:
    """LossNotDecreasing on one mode's series: each value compared with the one at least
    ``num_steps`` steps before it, which then becomes the new base."""
    base: tuple[int, float] | None = None
    compared: int = 0
    issue: str | None = None

    def add(self, step: int, value: float, p: dict[str, Any], label: str) -> None:
        if self.base is None:
            self.base = (step, value)
            return
        base_step, base = self.base
        if self.issue is not None or step - base_step < p["num_steps"]:
            return
        self.compared += 1
        change = (base - value) / abs(base) * 100 if base else 0.0
        if change < 0 and -change > p["increase_threshold_percent"]:
            self.issue = (f"{label} increased by {-change:.2f}% from step {base_step} to {step} "
                          f"(allowed {p['increase_threshold_percent']:g}%).")
        elif change < p["diff_percent"]:
            self.issue = (f"{label} decreased by only {change:.3f}% from step {base_step} "
                          f"({base:.4g}) to {step} ({value:.4g}); at least {p['diff_percent']:g}% "
                          f"every {p['num_steps']} steps is expected.")
        self.base = (step, value)


class LossNotDecreasing:
    """Judged on the EVAL losses when there are any, else on the TRAIN losses (the rule's
    order of modes when none is configured)."""

    def __init__(self, **params: Any) -> None:
        self.p = {**DEFAULTS["LossNotDecreasing"], **params}
        self.windows = {"EVAL": _Window(), "TRAIN": _Window()}

    def loss(self, mode: str, step: int, value: float) -> None:
        self.windows[mode].add(step, value, self.p, f"loss ({mode})")

    def verdict(self) -> Verdict:
        mode = "EVAL" if self.windows["EVAL"].base is not None else "TRAIN"
        window = self.windows[mode]
        if window.issue:
            return Verdict("LossNotDecreasing", True, window.issue)
        if not window.compared:
            return Verdict("LossNotDecreasing", False,
                           f"Fewer than num_steps={self.p['num_steps']} loss steps; nothing to compare.")
        return Verdict("LossNotDecreasing", False,
                       f"The loss decreased by at least {self.p['diff_percent']:g}% in each of "
                       f"{window.compared} windows.")


class Overfit:
    """Each validation loss against the mean training loss of the steps since the previous
    validation phase, on the global step axis."""

    def __init__(self, **params: Any) -> None:
        self.p = {**DEFAULTS["Overfit"], **params}
        self.pending: list[float] = []
        self.train_mean: float | None = None
        self.phase_sum, self.phase_count, self.streak = 0.0, 0, 0
        self.issue: str | None = None
        self.compared = False

    def loss(self, mode: str, global_step: int, value: float) -> None:
        if global_step < self.p["start_step"] or self.issue is not None:
            return
        if mode == "TRAIN":
            self.pending.append(value)
            return
        if self.pending:
            mean = sum(self.pending) / len(self.pending)
            self.pending = []
            if mean != self.train_mean:
                self.phase_sum, self.phase_count = 0.0, 0
            self.train_mean = mean
        if self.train_mean is None:
            return
        self.compared = True
        self.phase_sum += value
        self.phase_count += 1
        mean = self.train_mean
        ratio = (self.phase_sum / self.phase_count - mean) / abs(mean) if mean else 0.0
        self.streak = self.streak + 1 if ratio > self.p["ratio_threshold"] else 0
        if self.streak >= self.p["patience"]:
            self.issue = (f"validation loss exceeds training loss by {ratio:.0%} of it at step "
                          f"{global_step} for {self.streak} step(s) (ratio_threshold "
                          f"{self.p['ratio_threshold']:g}, patience {self.p['patience']}).")

    def verdict(self) -> Verdict:
        if self.issue:
            return Verdict("Overfit", True, self.issue)
        if not self.compared:
            return Verdict("Overfit", False, "No validation loss followed a training loss; nothing to compare.")
        return Verdict("Overfit", False,
                       f"Validation loss stays within {self.p['ratio_threshold']:g} of training loss.")


@dataclass
class _Plateau:
    patience: int
    best: tuple[int, float] | None = None
    stalled: tuple[int, int] | None = None

    def add(self, step: int, value: float, delta: float) -> None:
        if self.stalled is not None:
            return
        if self.best is None or self.best[1] - value > delta:
            self.best = (step, value)
        elif step - self.best[0] >= self.patience:
            self.stalled = (self.best[0], step)


class Overtraining:
    """Training loss without an improvement larger than ``delta`` for ``patience_train``
    steps, or validation loss for ``patience_validation`` steps."""

    def __init__(self, **params: Any) -> None:
        self.p = {**DEFAULTS["Overtraining"], **params}
        self.plateaus = {"TRAIN": _Plateau(self.p["patience_train"]),
                         "EVAL": _Plateau(self.p["patience_validation"])}

    def loss(self, mode: str, step: int, value: float) -> None:
        self.plateaus[mode].add(step, value, self.p["delta"])

    def verdict(self) -> Verdict:
        for mode, kind in (("TRAIN", "training"), ("EVAL", "validation")):
            plateau = self.plateaus[mode]
            if plateau.stalled:
                return Verdict("Overtraining", True,
                               f"{kind} loss did not improve by more than {self.p['delta']:g} from "
                               f"step {plateau.stalled[0]} to step {plateau.stalled[1]} "
                               f"(patience {plateau.patience}).")
        return Verdict("Overtraining", False, "Training and validation loss kept improving within their patience.")


@dataclass
class PoorWeightInitialization:
    """Over the first ``steps`` TRAIN steps: activation-input variances across layers,
    the spread of the gradients, and whether the loss ever went below its first value."""

    p: dict[str, Any] = field(default_factory=lambda: dict(DEFAULTS["PoorWeightInitialization"]))
    issue: str | None = None
    losses: list[float] = field(default_factory=list)

    @property
    def steps(self) -> int:
        return int(self.p["steps"])

    def activations(self, step: int, variances: list[float]) -> None:
        positive = [v for v in variances if v > 0]
        if self.issue is None and step < self.steps and len(positive) > 1:
            spread = max(positive) / min(positive)
            if spread > self.p["threshold"]:
                self.issue = (f"Activation input variance differs {spread:.1f}x across layers at "
                              f"step {step} (threshold {self.p['threshold']:g}).")

    def gradient_range(self, step: int, low: float, high: float) -> None:
        if self.issue is None and step < self.steps and high - low < self.p["distribution_range"]:
            self.issue = (f"Gradients are nearly constant at step {step}: 5th-95th percentile "
                          f"range {high - low:.3g} < distribution_range {self.p['distribution_range']:g}.")

    def loss(self, step: int, value: float) -> None:
        if step < self.steps:
            self.losses.append(value)

    def verdict(self) -> Verdict:
        if self.issue:
            return Verdict("PoorWeightInitialization", True, self.issue)
        first, rest = (self.losses[0], self.losses[1:]) if self.losses else (0.0, [])
        if len(self.losses) > self.p["patience"] and min(rest) >= first:
            return Verdict("PoorWeightInitialization", True,
                           f"loss never went below its first value {first:.4g} in the first "
                           f"{len(self.losses)} steps.")
        return Verdict("PoorWeightInitialization", False,
                       f"Activations, gradients and loss look healthy over the first {self.steps} steps.")
