"""train.py's five checks on hand-made series: each rule's documented semantics and defaults.

(That they judge exactly as the Debugger rules do on the same training runs is
tests/integration/test_diagnostics_agreement.py.)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "training_src"))

import checks


def feed(check: object, mode: str, values: list[float], first_step: int = 0) -> None:
    for step, value in enumerate(values, start=first_step):
        check.loss(mode, step, value)


def test_vanishing_gradient_uses_the_documented_threshold() -> None:
    check = checks.VanishingGradient()
    check.gradients(0, {"fc.weight": 2e-7, "fc.bias": 0.3})
    assert not check.verdict().issues_found
    check.gradients(10, {"fc.weight": 5e-8})
    verdict = check.verdict()
    assert verdict.issues_found and "fc.weight" in verdict.details and "step 10" in verdict.details


def test_loss_not_decreasing_judges_validation_first_and_compares_every_num_steps() -> None:
    falling = [1.0 - 0.01 * i for i in range(40)]
    check = checks.LossNotDecreasing()
    feed(check, "TRAIN", falling)
    assert not check.verdict().issues_found
    feed(check, "EVAL", [0.5] * 12)  # flat validation loss: judged instead of the training loss
    verdict = check.verdict()
    assert verdict.issues_found and "EVAL" in verdict.details
    short = checks.LossNotDecreasing()
    feed(short, "TRAIN", [1.0] * 10)  # never num_steps apart: nothing to compare
    assert not short.verdict().issues_found


def test_overfit_compares_each_validation_loss_with_the_training_before_it() -> None:
    healthy, overfit = checks.Overfit(), checks.Overfit()
    for check, valid in ((healthy, 1.05), (overfit, 1.2)):
        for step in range(5):
            check.loss("TRAIN", step, 1.0)
        check.loss("EVAL", 5, valid)
    assert not healthy.verdict().issues_found  # 5% above: within ratio_threshold 0.1
    assert overfit.verdict().issues_found


def test_overtraining_counts_steps_without_an_improvement_larger_than_delta() -> None:
    improving, stalled = checks.Overtraining(), checks.Overtraining()
    feed(improving, "TRAIN", [1.0 - 0.02 * i for i in range(20)])
    feed(stalled, "TRAIN", [1.0, 0.995, 0.993, 0.992, 0.991, 0.992])  # never 0.01 below 1.0
    assert not improving.verdict().issues_found
    verdict = stalled.verdict()
    assert verdict.issues_found and "training loss" in verdict.details


def test_poor_weight_initialization_looks_at_the_first_steps_only() -> None:
    spread = checks.PoorWeightInitialization()
    spread.activations(3, [1.0, 0.05])  # 20x across layers
    assert spread.verdict().issues_found
    late = checks.PoorWeightInitialization()
    late.activations(12, [1.0, 0.05])  # after the first `steps` steps: not judged
    late.gradient_range(0, -0.01, 0.01)
    assert not late.verdict().issues_found
    flat_gradients = checks.PoorWeightInitialization()
    flat_gradients.gradient_range(0, 0.0, 0.0005)
    assert flat_gradients.verdict().issues_found
    stuck = checks.PoorWeightInitialization()
    for step, value in enumerate([1.0, 1.1, 1.0, 1.2, 1.05, 1.3, 1.0]):
        stuck.loss(step, value)
    assert stuck.verdict().issues_found and "first value" in stuck.verdict().details
