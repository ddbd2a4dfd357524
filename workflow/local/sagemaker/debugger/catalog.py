"""The built-in Debugger rules the local server knows: AWS's names, parameter defaults and
the collections each reads.

Apart from the implementations (``rules``, which need numpy) because the server checks a
CreateTrainingJob's rule configurations with it, and numpy would add a tenth of a second
to every server start for nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BuiltInRule:
    defaults: dict[str, Any]
    #: The collections the hook must save for the rule (as the SDK adds them to the hook).
    collections: tuple[str, ...]


BUILT_IN_RULES: dict[str, BuiltInRule] = {
    "VanishingGradient": BuiltInRule({"threshold": 1e-7}, ("gradients",)),
    "LossNotDecreasing": BuiltInRule({"tensor_regex": "", "use_losses_collection": True, "num_steps": 10,
                                      "diff_percent": 0.1, "increase_threshold_percent": 5.0, "mode": ""},
                                     ("losses",)),
    "Overfit": BuiltInRule({"tensor_regex": "", "start_step": 0, "patience": 1, "ratio_threshold": 0.1},
                           ("losses",)),
    "Overtraining": BuiltInRule({"patience_train": 5, "patience_validation": 10, "delta": 0.01},
                                ("losses",)),
    "PoorWeightInitialization": BuiltInRule({"activation_inputs_regex": ".*relu_input", "threshold": 10.0,
                                             "distribution_range": 0.001, "patience": 5, "steps": 10},
                                            ("losses", "gradients", "relu_input")),
}


def rule_name(config: dict[str, Any]) -> str | None:
    """The built-in rule a configuration invokes (``rule_to_invoke``, as the SDK sets it)."""
    wanted = config.get("RuleParameters", {}).get("rule_to_invoke") or config["RuleConfigurationName"]
    key = wanted.replace("_", "").replace("-", "").lower()
    return next((name for name in BUILT_IN_RULES if name.lower() == key), None)
