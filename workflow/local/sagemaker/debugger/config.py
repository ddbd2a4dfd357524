"""A training job's Debugger and Profiler configuration: its checks, the hook's settings, the
sampler, and the rule statuses DescribeTrainingJob shows."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.debugger.catalog import BUILT_IN_RULES, rule_name
from workflow.local.sagemaker.debugger.params import typed
from workflow.local.sagemaker.debugger.sampler import SystemSampler
from workflow.local.sagemaker.records import DebuggerFields, RuleEvaluation, RuleEvaluations
from workflow.local.sagemaker.statuses import RuleStatus

DEFAULT_PROFILING_INTERVAL_MS = 500
#: Collections a rule reads, saved even when DebugHookConfig does not list them (as the
#: SageMaker Python SDK adds a rule's collections_to_save to the hook configuration).
COLLECTIONS = {
    "losses": {},
    "gradients": {},
    # PoorWeightInitialization reads the first training steps only; activations are the
    # largest tensors a hook saves (a ResNet's are tens of MB a step), so no other mode's.
    "relu_input": {"include_regex": ".*relu_input", "train.save_steps": ",".join(map(str, range(10)))},
}


def validate(request: dict[str, Any]) -> None:
    for i, config in enumerate(request.get("DebugRuleConfigurations", []), start=1):
        name = rule_name(config)
        if name is None:
            raise ValidationException(
                f"DebugRuleConfigurations.{i}: rule {config['RuleConfigurationName']!r} is not a "
                f"built-in rule the local server evaluates ({', '.join(BUILT_IN_RULES)}); set "
                f"RuleParameters.rule_to_invoke to one of them")
        typed(name, config.get("RuleParameters", {}), BUILT_IN_RULES[name].defaults)
    for i, config in enumerate(request.get("ProfilerRuleConfigurations", []), start=1):
        wanted = config.get("RuleParameters", {}).get("rule_to_invoke", config["RuleConfigurationName"])
        if not wanted.startswith("ProfilerReport"):  # the SDK names it ProfilerReport-<timestamp>
            raise ValidationException(f"ProfilerRuleConfigurations.{i}: only the ProfilerReport "
                                      f"rule is evaluated locally (got {wanted!r})")


def profiling_enabled(request: dict[str, Any]) -> bool:
    config = request.get("ProfilerConfig")
    return bool(config and not config.get("DisableProfiler", False))


def rule_status(config: dict[str, Any], kind: str, status: RuleStatus, when: datetime,
                details: str | None = None) -> RuleEvaluation:
    """One entry of DebugRuleEvaluationStatuses (``kind`` "rule") or of the profiler's ("profiler-rule")."""
    entry = RuleEvaluation(RuleConfigurationName=config["RuleConfigurationName"],
                           RuleEvaluationJobArn=f"local:{kind}/{config['RuleConfigurationName']}",
                           RuleEvaluationStatus=status, LastModifiedTime=when)
    if details is not None:
        entry["StatusDetails"] = details[:1024]
    return entry


def rule_statuses(request: dict[str, Any], status: RuleStatus, when: datetime,
                  details: str | None = None) -> RuleEvaluations:
    """Every rule of the job in ``status``: the fields DescribeTrainingJob shows for them."""
    def statuses(field: str, kind: str) -> list[RuleEvaluation]:
        return [rule_status(c, kind, status, when, details) for c in request.get(field, [])]

    fields: RuleEvaluations = {}
    if request.get("DebugRuleConfigurations"):
        fields["DebugRuleEvaluationStatuses"] = statuses("DebugRuleConfigurations", "rule")
    if request.get("ProfilerRuleConfigurations") and profiling_enabled(request):
        fields["ProfilerRuleEvaluationStatuses"] = statuses("ProfilerRuleConfigurations", "profiler-rule")
    return fields


def initial_statuses(request: dict[str, Any], when: datetime) -> DebuggerFields:
    return {"ProfilingStatus": "Enabled" if profiling_enabled(request) else "Disabled",
            **rule_statuses(request, RuleStatus.IN_PROGRESS, when)}


def hook_config(request: dict[str, Any], local_dir: Path) -> dict[str, Any] | None:
    """The JSON smdebug's ``Hook.create_from_json_file`` reads, pointing at ``local_dir``."""
    hook = request.get("DebugHookConfig")
    rules = request.get("DebugRuleConfigurations", [])
    if hook is None and not rules:
        return None
    hook = hook or {}
    collections = [dict(c) for c in hook.get("CollectionConfigurations", [])]
    have = {c["CollectionName"] for c in collections}
    for config in rules:
        name = rule_name(config)
        if name is None:  # validate() refuses these at CreateTrainingJob
            raise KeyError(config["RuleConfigurationName"])
        for needed in BUILT_IN_RULES[name].collections:
            if needed not in have:
                collections.append({"CollectionName": needed,
                                    "CollectionParameters": dict(COLLECTIONS[needed])})
                have.add(needed)
    return {"LocalPath": str(local_dir), "HookParameters": hook.get("HookParameters", {}),
            "CollectionConfigurations": collections}


def profiler_sampler(request: dict[str, Any], folder: Path) -> SystemSampler | None:
    if not profiling_enabled(request):
        return None
    interval = request["ProfilerConfig"].get("ProfilingIntervalInMilliseconds",
                                             DEFAULT_PROFILING_INTERVAL_MS)
    return SystemSampler(folder / "system.jsonl", interval / 1000.0)


def has_analysis(request: dict[str, Any]) -> bool:
    """Whether the job has tensors, rules or a profiler report to work on once it ends."""
    return bool(request.get("DebugHookConfig") or request.get("DebugRuleConfigurations")
                or profiling_enabled(request))
