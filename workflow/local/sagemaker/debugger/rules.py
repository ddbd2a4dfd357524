"""The built-in Debugger rules, evaluated on the saved tensors with AWS's parameters.

smdebug 1.0.34 ships no rule implementations, so each rule is written here
from its documented definition (the parameter names and defaults are AWS's).
A rule returns ``(issues_found, details)``.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workflow.local.sagemaker.debugger.params import as_list
from workflow.local.sagemaker.debugger.trial import TrialData

Result = tuple[bool, str]
Rule = Callable[[TrialData, dict[str, Any]], Result]


def _loss_names(data: TrialData, p: dict[str, Any], use_collection: bool = True) -> list[str]:
    regex = as_list(p.get("tensor_regex"))
    collection = "losses" if use_collection or not regex else None
    names = data.names(collection=collection, regex=regex)
    if not names and not regex:
        names = data.names(regex=[r"(?i)loss"])
    return data.require(names, "loss")


def vanishing_gradient(data: TrialData, p: dict[str, Any]) -> Result:
    names = data.require(data.names(collection="gradients", regex=[r"^gradient/"]), "gradient")
    worst = (float("inf"), "", -1)
    for name in names:
        for step in data.steps(name, "TRAIN"):
            mean_abs = data.memo(("mean_abs", name, "TRAIN", step), lambda: float(
                np.abs(data.value(name, step, "TRAIN")).mean(dtype=np.float64)))  # noqa: B023 - memo calls it at once
            worst = min(worst, (mean_abs, name, step))
    if worst[1] == "":
        return False, "No gradient values were saved in TRAIN mode."
    if worst[0] < p["threshold"]:
        return True, (f"Vanishing gradient: mean absolute value of {worst[1]} was {worst[0]:.3g} at "
                      f"step {worst[2]}, below threshold {p['threshold']:g}.")
    return False, (f"Smallest mean absolute gradient {worst[0]:.3g} ({worst[1]}, step {worst[2]}) "
                   f"stays above threshold {p['threshold']:g}.")


def loss_not_decreasing(data: TrialData, p: dict[str, Any]) -> Result:
    names = _loss_names(data, p, p["use_losses_collection"])
    modes = [p["mode"].upper()] if p.get("mode") else ["EVAL", "TRAIN", "GLOBAL"]
    checked = 0
    for name in names:
        mode = next((m for m in modes if data.steps(name, m)), None)
        if mode is None:
            continue
        series = data.series(name, mode)
        base_step, base = series[0]
        for step, value in series[1:]:
            if step - base_step < p["num_steps"]:
                continue
            checked += 1
            change = (base - value) / abs(base) * 100 if base else 0.0
            if change < 0 and -change > p["increase_threshold_percent"]:
                return True, (f"{name} ({mode}) increased by {-change:.2f}% from step {base_step} "
                              f"to {step} (allowed {p['increase_threshold_percent']:g}%).")
            if change < p["diff_percent"]:
                return True, (f"{name} ({mode}) decreased by only {change:.3f}% from step "
                              f"{base_step} ({base:.4g}) to {step} ({value:.4g}); at least "
                              f"{p['diff_percent']:g}% every {p['num_steps']} steps is expected.")
            base_step, base = step, value
    if not checked:
        return False, f"Fewer than num_steps={p['num_steps']} saved loss steps; nothing to compare."
    return False, f"The loss decreased by at least {p['diff_percent']:g}% in each of {checked} windows."


def _phases(train: list[tuple[int, float]], evals: list[tuple[int, float]]):
    """Each EVAL value with the mean of the TRAIN values that came before it since the last EVAL."""
    train_index, window, last_train_mean = 0, [], None
    for step, value in evals:
        while train_index < len(train) and train[train_index][0] < step:
            window.append(train[train_index][1])
            train_index += 1
        if window:
            last_train_mean, window = float(np.mean(window)), []
        if last_train_mean is not None:
            yield step, value, last_train_mean


def overfit(data: TrialData, p: dict[str, Any]) -> Result:
    for name in _loss_names(data, p):
        train = [x for x in data.global_series(name, "TRAIN") if x[0] >= p["start_step"]]
        evals = [x for x in data.global_series(name, "EVAL") if x[0] >= p["start_step"]]
        if not train or not evals:
            continue
        streak, eval_sum, eval_count, prev_train = 0, 0.0, 0, None
        for step, value, train_mean in _phases(train, evals):
            if train_mean != prev_train:
                eval_sum, eval_count, prev_train = 0.0, 0, train_mean
            eval_sum, eval_count = eval_sum + value, eval_count + 1
            ratio = (eval_sum / eval_count - train_mean) / abs(train_mean) if train_mean else 0.0
            streak = streak + 1 if ratio > p["ratio_threshold"] else 0
            if streak >= p["patience"]:
                return True, (f"{name}: validation loss exceeds training loss by {ratio:.0%} of it "
                              f"at step {step} for {streak} step(s) (ratio_threshold "
                              f"{p['ratio_threshold']:g}, patience {p['patience']}).")
        return False, f"{name}: validation loss stays within {p['ratio_threshold']:g} of training loss."
    return False, "No loss was saved in both TRAIN and EVAL modes; nothing to compare."


def _stalled(series: list[tuple[int, float]], patience: int, delta: float) -> tuple[int, int] | None:
    """The step at which ``patience`` steps passed without an improvement larger than ``delta``."""
    if not series:
        return None
    best, best_step = series[0][1], series[0][0]
    for step, value in series[1:]:
        if best - value > delta:
            best, best_step = value, step
        elif step - best_step >= patience:
            return best_step, step
    return None


def overtraining(data: TrialData, p: dict[str, Any]) -> Result:
    for name in _loss_names(data, p):
        for mode, patience in (("TRAIN", p["patience_train"]), ("EVAL", p["patience_validation"])):
            stalled = _stalled(data.series(name, mode), patience, p["delta"])
            if stalled:
                kind = "training" if mode == "TRAIN" else "validation"
                return True, (f"{name}: {kind} loss did not improve by more than {p['delta']:g} "
                              f"from step {stalled[0]} to step {stalled[1]} (patience {patience}).")
    return False, "Training and validation loss kept improving within their patience."


def _percentile_range(data: TrialData, names: tuple[str, ...], step: int) -> tuple[float, float]:
    merged = np.concatenate([data.value(n, step, "TRAIN").ravel() for n in names])
    # A ResNet has millions of gradient values; the percentiles of an even sample of about
    # a million of them are as good for a 5-95% range test, at a tenth of the cost.
    low, high = np.percentile(merged[::max(1, merged.size // 1_000_000)], [5, 95])
    return float(low), float(high)


def poor_weight_initialization(data: TrialData, p: dict[str, Any]) -> Result:
    first = int(p["steps"])
    activations = data.names(regex=as_list(p["activation_inputs_regex"]) or [r"relu_input"])
    for step in range(first):
        variances = [data.memo(("variance", n, "TRAIN", step), lambda: float(
                         np.var(data.value(n, step, "TRAIN"), dtype=np.float64)))  # noqa: B023 - memo calls it at once
                     for n in activations if step in data.steps(n, "TRAIN")]
        variances = [v for v in variances if v > 0]
        if len(variances) > 1 and max(variances) / min(variances) > p["threshold"]:
            return True, (f"Activation input variance differs {max(variances) / min(variances):.1f}x "
                          f"across layers at step {step} (threshold {p['threshold']:g}).")
    gradients = data.names(collection="gradients", regex=[r"^gradient/"])
    for step in range(first):
        saved = tuple(n for n in gradients if step in data.steps(n, "TRAIN"))
        if saved:
            low, high = data.memo(("gradient_5_95", saved, "TRAIN", step),
                                  lambda: _percentile_range(data, saved, step))  # noqa: B023 - memo calls it at once
            if high - low < p["distribution_range"]:
                return True, (f"Gradients are nearly constant at step {step}: 5th-95th percentile "
                              f"range {high - low:.3g} < distribution_range {p['distribution_range']:g}.")
    for name in _loss_names(data, p):
        series = [x for x in data.series(name, "TRAIN") if x[0] < first]
        if len(series) > p["patience"] and min(v for _, v in series[1:]) >= series[0][1]:
            return True, (f"{name} never went below its first value {series[0][1]:.4g} in the "
                          f"first {len(series)} steps.")
    return False, f"Activations, gradients and loss look healthy over the first {first} steps."


#: The implementation of each rule of ``catalog.BUILT_IN_RULES``.
RULES: dict[str, Rule] = {
    "VanishingGradient": vanishing_gradient,
    "LossNotDecreasing": loss_not_decreasing,
    "Overfit": overfit,
    "Overtraining": overtraining,
    "PoorWeightInitialization": poor_weight_initialization,
}
