"""Running the rules on a finished job and writing what a person reads: PNG, JSON, HTML.

``config.py`` says what Debugger adds to a job; this module, which only the rule job's
process imports, evaluates it (it reads ``config.py``, never the other way round).
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from workflow.local.sagemaker.debugger.catalog import BUILT_IN_RULES, rule_name
from workflow.local.sagemaker.debugger.config import profiling_enabled, rule_status
from workflow.local.sagemaker.debugger.loss_curve import draw_loss_curve
from workflow.local.sagemaker.debugger.params import typed
from workflow.local.sagemaker.debugger.rules import RULES, Rule
from workflow.local.sagemaker.debugger.trial import NoTensors, TrialData
from workflow.local.sagemaker.records import RuleEvaluation, RuleEvaluations
from workflow.local.sagemaker.statuses import RuleStatus

if TYPE_CHECKING:
    from workflow.local.sagemaker.training.layout import JobPaths

LOSS_CURVE = "loss-curve.png"
RULE_SUMMARY = "rule-summary.json"
PROFILER_REPORT = "ProfilerReport/profiler-output/profiler-report.html"


def _status(config: dict[str, Any], kind: str, status: RuleStatus, details: str) -> RuleEvaluation:
    return rule_status(config, kind, status, datetime.now(timezone.utc), details)


def _open_trial(paths: JobPaths, memo: dict[tuple, Any] | None = None,
                complete_only: bool = False) -> TrialData | str:
    if not paths.debug_output.is_dir() or not any(paths.debug_output.iterdir()):
        return ("The training script saved no Debugger tensors: create the smdebug hook from "
                "SMDEBUG_CONFIG_FILE_PATH (smdebug.pytorch.Hook.create_from_json_file()).")
    try:
        return TrialData(str(paths.debug_output), memo, complete_only)
    except Exception as err:  # noqa: BLE001 - any smdebug read failure becomes the rules' Error
        return f"Cannot read the Debugger tensors: {type(err).__name__}: {err}"


def _rules(request: dict[str, Any]) -> list[tuple[dict[str, Any], str, Rule, dict[str, Any]]]:
    """(configuration, rule name, rule, typed parameters) of each configured rule."""
    out = []
    for config in request.get("DebugRuleConfigurations", []):
        name = rule_name(config)
        if name is None:  # validate() refuses these at CreateTrainingJob; the rule job fails
            raise KeyError(config["RuleConfigurationName"])
        params = typed(name, config.get("RuleParameters", {}), BUILT_IN_RULES[name].defaults)
        params.pop("rule_to_invoke", None)
        out.append((config, name, RULES[name], params))
    return out


def precompute(request: dict[str, Any], paths: JobPaths, memo: dict[tuple, Any]) -> None:
    """Run the rules on the steps a running job has saved so far, for what they compute on
    the way (kept in ``memo``); their verdicts wait for the end of the job."""
    trial = _open_trial(paths, memo, complete_only=True)
    if isinstance(trial, str):
        return
    for _, _, rule, params in _rules(request):
        try:
            rule(trial, params)
        except Exception:  # noqa: BLE001 - a partial trial may not hold what a rule needs yet
            pass


def evaluate_rules(request: dict[str, Any], paths: JobPaths,
                   memo: dict[tuple, Any] | None = None) -> RuleEvaluations:
    trial = _open_trial(paths, memo)
    statuses: list[RuleEvaluation] = []
    summary = []
    for config, name, rule, params in _rules(request):
        status: RuleStatus
        if isinstance(trial, str):
            status, details = RuleStatus.ERROR, trial
        else:
            try:
                issues, details = rule(trial, params)
                status = RuleStatus.ISSUES_FOUND if issues else RuleStatus.NO_ISSUES_FOUND
            except NoTensors as err:
                status, details = RuleStatus.ERROR, f"{name}: {err}"
            except Exception as err:  # noqa: BLE001 - a rule crash is that rule's Error, not the job's
                status, details = RuleStatus.ERROR, f"{name} failed: {type(err).__name__}: {err}"
        statuses.append(_status(config, "rule", status, details))
        summary.append({"RuleConfigurationName": config["RuleConfigurationName"], "Rule": name,
                        "RuleEvaluationStatus": status, "StatusDetails": details,
                        "Parameters": params})
    paths.rule_output.mkdir(parents=True, exist_ok=True)
    loss_curve = None
    if not isinstance(trial, str):
        try:
            if draw_loss_curve(trial, paths.rule_output / LOSS_CURVE):
                loss_curve = LOSS_CURVE
        except Exception as err:  # noqa: BLE001 - a plotting failure must not fail the job
            loss_curve = f"not drawn: {err}"
    (paths.rule_output / RULE_SUMMARY).write_text(json.dumps(
        {"rules": summary, "loss_curve": loss_curve}, indent=2, default=str))
    return {"DebugRuleEvaluationStatuses": statuses} if statuses else {}


def write_profiler_report(request: dict[str, Any], paths: JobPaths, job_name: str) -> RuleEvaluations:
    # deferred: the report's import (matplotlib) takes about 1.7 s (-X importtime), and only
    # jobs with a profiler pay it
    from workflow.local.sagemaker.debugger.report import render_report

    out = paths.rule_output / PROFILER_REPORT
    try:
        render_report(job_name, paths, out)
        status, details = RuleStatus.NO_ISSUES_FOUND, f"Profiler report written to rule-output/{PROFILER_REPORT}"
    except Exception as err:  # noqa: BLE001 - the report is advisory; its failure is the rule's Error
        status, details = RuleStatus.ERROR, f"Profiler report failed: {type(err).__name__}: {err}"
    return {"ProfilerRuleEvaluationStatuses": [
        _status(c, "profiler-rule", status, details)
        for c in request.get("ProfilerRuleConfigurations", [])]}


def analyse(request: dict[str, Any], paths: JobPaths, job_name: str,
            memo: dict[tuple, Any] | None = None) -> RuleEvaluations:
    """Evaluate the rules, draw the loss curve, write the profiler report (``publish`` uploads them).

    Returns the DescribeTrainingJob fields to update. The server runs this through
    ``rule_job`` in a process of its own.
    """
    fields: RuleEvaluations = {}
    if request.get("DebugHookConfig") or request.get("DebugRuleConfigurations"):
        fields.update(evaluate_rules(request, paths, memo))
    if profiling_enabled(request):
        fields.update(write_profiler_report(request, paths, job_name))
    return fields
