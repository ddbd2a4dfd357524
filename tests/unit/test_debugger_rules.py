"""The built-in rules' arithmetic on hand-made tensor series, and the hook configuration."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.debugger import hook_config, validate
from workflow.local.sagemaker.debugger.catalog import BUILT_IN_RULES, rule_name
from workflow.local.sagemaker.debugger.params import typed
from workflow.local.sagemaker.debugger.rules import RULES
from workflow.local.sagemaker.debugger.trial import NoTensors


class Series:
    """Tensor values by name and mode, answering what rules ask of an smdebug trial.

    TRAIN and EVAL values are laid out on one global step axis in the order given,
    as smdebug numbers them: each mode has its own step counter.
    """

    def __init__(self, tensors: dict[str, dict[str, list]], collections: dict[str, list[str]],
                 phases: list[tuple[str, int]] | None = None) -> None:
        self.tensors, self.collections = tensors, collections
        self.global_steps: dict[str, list[int]] = {"TRAIN": [], "EVAL": []}
        step = 0
        for mode, count in phases or [("TRAIN", 10 ** 4)]:
            self.global_steps[mode] += range(step, step + count)
            step += count

    def names(self, *, collection=None, regex=None):
        import re
        found = list(self.collections.get(collection, []))
        for pattern in regex or []:
            found += [n for n in self.tensors if re.search(pattern, n)]
        return sorted(set(found))

    def steps(self, name, mode):
        return list(range(len(self.tensors[name].get(mode, []))))

    def value(self, name, step, mode):
        return np.asarray(self.tensors[name][mode][step], dtype=float)

    def series(self, name, mode):
        return [(s, float(np.mean(self.value(name, s, mode)))) for s in self.steps(name, mode)]

    def global_series(self, name, mode):
        return [(self.global_steps[mode][s], v) for s, v in self.series(name, mode)]

    def memo(self, key, compute):
        return compute()

    def require(self, names, what):
        if not names:
            raise NoTensors(f"no {what} tensors were saved")
        return names


def run(rule: str, data: Series, **params):
    defaults = BUILT_IN_RULES[rule].defaults
    return RULES[rule](data, typed(rule, {k: str(v) for k, v in params.items()}, defaults))


def losses(train, evals=None, phases=None):
    return Series({"loss": {"TRAIN": train, "EVAL": evals or []}}, {"losses": ["loss"]}, phases)


def gradients(scale: float) -> Series:
    rng = np.random.default_rng(0)
    return Series({"gradient/w": {"TRAIN": [rng.normal(0, scale, 50) for _ in range(12)]}},
                  {"gradients": ["gradient/w"]})


def test_vanishing_gradient_uses_the_documented_threshold():
    assert run("VanishingGradient", gradients(1e-9))[0] is True
    assert run("VanishingGradient", gradients(1e-3))[0] is False
    assert run("VanishingGradient", gradients(1e-5), threshold=1e-4)[0] is True


def test_loss_not_decreasing_flags_a_flat_or_rising_loss():
    flat = [1.0986 + 1e-5 * (i % 2) for i in range(30)]
    issues, details = run("LossNotDecreasing", losses(flat), mode="TRAIN")
    assert issues and "decreased by only" in details
    rising = [1.0 + 0.02 * i for i in range(30)]
    issues, details = run("LossNotDecreasing", losses(rising), mode="TRAIN")
    assert issues and "increased" in details
    falling = [1.0 * 0.97 ** i for i in range(30)]
    assert run("LossNotDecreasing", losses(falling), mode="TRAIN")[0] is False
    assert run("LossNotDecreasing", losses(falling[:5]), mode="TRAIN") == (
        False, "Fewer than num_steps=10 saved loss steps; nothing to compare.")


def test_overfit_compares_validation_with_training_loss():
    phases = [("TRAIN", 5), ("EVAL", 2), ("TRAIN", 5), ("EVAL", 2)]
    train = [0.5] * 10
    assert run("Overfit", losses(train, [0.52] * 4, phases))[0] is False
    issues, details = run("Overfit", losses(train, [0.52, 0.52, 0.9, 0.9], phases))
    assert issues and "validation loss exceeds training loss" in details
    assert run("Overfit", losses(train, [0.52, 0.52, 0.9, 0.52], phases), patience=3)[0] is False


def test_overtraining_counts_steps_without_improvement():
    improving = [1.0 - 0.05 * i for i in range(15)]
    assert run("Overtraining", losses(improving))[0] is False
    stalled = [1.0, 0.9] + [0.899] * 10
    issues, details = run("Overtraining", losses(stalled))
    assert issues and "training loss did not improve" in details


def test_poor_weight_initialization_looks_at_the_first_steps():
    rng = np.random.default_rng(1)
    layers = {f"layer{i}_relu_input": {"TRAIN": [rng.normal(0, 10.0 ** -i, 100) for _ in range(10)]}
              for i in range(3)}
    data = Series({**layers, "loss": {"TRAIN": [1.0 - 0.05 * i for i in range(10)]}},
                  {"losses": ["loss"]})
    issues, details = run("PoorWeightInitialization", data)
    assert issues and "variance differs" in details
    even = {f"layer{i}_relu_input": {"TRAIN": [rng.normal(0, 1, 100) for _ in range(10)]}
            for i in range(3)}
    data = Series({**even, "gradient/w": {"TRAIN": [rng.normal(0, 0.1, 100) for _ in range(10)]},
                   "loss": {"TRAIN": [1.0 - 0.05 * i for i in range(10)]}},
                  {"losses": ["loss"], "gradients": ["gradient/w"]})
    assert run("PoorWeightInitialization", data)[0] is False


def test_missing_tensors_are_reported_not_guessed():
    with pytest.raises(NoTensors):
        run("VanishingGradient", Series({}, {}))


def test_rules_are_found_by_rule_to_invoke_and_parameters_typed():
    assert rule_name({"RuleConfigurationName": "x", "RuleParameters": {
        "rule_to_invoke": "VanishingGradient"}}) == "VanishingGradient"
    assert rule_name({"RuleConfigurationName": "loss_not_decreasing"}) == "LossNotDecreasing"
    with pytest.raises(ValidationException, match="SimilarAcrossRuns"):
        validate({"DebugRuleConfigurations": [{"RuleConfigurationName": "SimilarAcrossRuns",
                                               "RuleEvaluatorImage": "x"}]})
    with pytest.raises(ValidationException, match="RuleParameters.threshold"):
        validate({"DebugRuleConfigurations": [{"RuleConfigurationName": "VanishingGradient",
                                               "RuleEvaluatorImage": "x",
                                               "RuleParameters": {"threshold": "tiny"}}]})


def test_hook_config_points_at_the_job_and_saves_what_rules_read(tmp_path: Path):
    request = {"DebugHookConfig": {"S3OutputPath": "file:///x", "HookParameters": {"save_interval": "5"},
                                   "CollectionConfigurations": [{"CollectionName": "losses"}]},
               "DebugRuleConfigurations": [{"RuleConfigurationName": "VanishingGradient",
                                            "RuleEvaluatorImage": "x"}]}
    config = hook_config(request, tmp_path / "debug-output")
    assert config["LocalPath"] == str(tmp_path / "debug-output")
    assert config["HookParameters"] == {"save_interval": "5"}
    assert [c["CollectionName"] for c in config["CollectionConfigurations"]] == ["losses", "gradients"]
    assert hook_config({}, tmp_path) is None


def test_every_catalogued_rule_has_an_implementation():
    assert set(RULES) == set(BUILT_IN_RULES)
