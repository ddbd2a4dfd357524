"""What a person wants to read after a run: results on success, the failing state otherwise."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO

from workflow.aws.settings import DEFAULT_STACK_NAME as STATE_MACHINE_NAME
from workflow.pipeline.denial import denial_lines

CLEANUP_STATE = "CleanUp"
_FAILURE_EVENTS = {"TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut",
                   "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}


def _details(event: dict[str, Any]) -> dict[str, Any]:
    return next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}


def failing_state(history: list[dict[str, Any]]) -> dict[str, str]:
    """The state that made the run fail, with the run's error and cause.

    The run ends with the first failure's Error and Cause (the clean-up path
    passes them on), so the failing state is the one whose task failed with
    that error; a failure raised by the definition itself (a Fail or a Pass
    that records one) is the last state entered before clean-up began.
    """
    final = next((_details(e) for e in reversed(history)
                  if e["type"] in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")), {})
    error, cause = final.get("error", ""), final.get("cause", "")
    current, before_cleanup, last = "", "", ""
    for event in history:
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            if name == CLEANUP_STATE and not before_cleanup:
                before_cleanup = current
            current = last = name
        elif kind in _FAILURE_EVENTS and kind not in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
            details = _details(event)
            if not error or details.get("error") == error:
                return {"state": current, "error": details.get("error", kind),
                        "cause": details.get("cause", "") if error == "" else cause or details.get("cause", "")}
    return {"state": before_cleanup or last, "error": error, "cause": cause}


def _job_name(history: list[dict[str, Any]], state: str) -> str | None:
    current = ""
    for event in history:
        if event["type"].endswith("StateEntered"):
            current = event["stateEnteredEventDetails"]["name"]
        elif event["type"] == "TaskScheduled" and current == state:
            params = json.loads(event["taskScheduledEventDetails"].get("parameters") or "{}")
            return params.get("TrainingJobName") or params.get("HyperParameterTuningJobName")
    return None


def _cause_text(cause: str) -> str:
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause
    if isinstance(parsed, dict):
        return parsed.get("errorMessage") or parsed.get("FailureReason") or cause
    return cause


def _job_failures(sagemaker: Any, history: list[dict[str, Any]], state: str) -> list[tuple[str, str]]:
    """(training job, FailureReason) of the failed jobs behind a failed Tune or Train state."""
    name = _job_name(history, state)
    if not name or sagemaker is None:
        return []
    try:
        if state == "Tune":
            children = sagemaker.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName=name, StatusEquals="Failed")["TrainingJobSummaries"]
            names = [c["TrainingJobName"] for c in children][:3]
        else:
            names = [name]
        jobs = [sagemaker.describe_training_job(TrainingJobName=n) for n in names]
    except Exception:  # noqa: BLE001 - the summary adds detail when it can; the cause stands alone
        return []
    return [(job["TrainingJobName"], job.get("FailureReason", "")) for job in jobs if job.get("FailureReason")]


def print_failure(history: list[dict[str, Any]], status: str, data_dir: Path | None, out: TextIO,
                  sagemaker: Any | None = None, redrivable: str | None = None) -> None:
    """What failed and where to look; ``redrivable``: the execution's name when it can be redriven."""
    failure = failing_state(history)
    print(f"\nPipeline {status}: state {failure['state'] or '?'} failed", file=out)
    if failure["error"]:
        print(f"  error: {failure['error']}", file=out)
    if failure["cause"]:
        print(f"  cause: {_cause_text(failure['cause'])[:2000]}", file=out)
        for line in denial_lines(_cause_text(failure["cause"]), STATE_MACHINE_NAME):
            print(line, file=out)
    for job, reason in _job_failures(sagemaker, history, failure["state"]):
        print(f"  training job {job} failed: {reason[:1500]}", file=out)
        print(f"    logs: python deploy_workflow.py logs {job}", file=out)
    if data_dir and failure["state"] in ("StageData", "SmokeTest"):
        print(f"  logs:  {data_dir / 'lambda' / 'logs'}", file=out)
    if redrivable and not _ended_in_a_fail_state(history):
        print(f"  once fixed, continue from {failure['state']} (what succeeded is not run again): "
              f"python deploy_workflow.py redrive {redrivable}", file=out)


def _ended_in_a_fail_state(history: list[dict[str, Any]]) -> bool:
    """A redrive reruns the state that failed: rerunning a Fail state fails again."""
    states = [e["type"] for e in history if e["type"].endswith(("StateEntered", "StateExited"))]
    return bool(states) and states[-1] == "FailStateEntered"


def _fmt_params(params: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()) if not k.startswith(("sagemaker_", "_")))


def final_rules(sagemaker: Any, job: str, timeout: float = 300, poll: float = 0.1) -> list[dict[str, Any]]:
    """The Debugger rule results of ``job`` once they are final.

    Rules run beside the training job, as on AWS: the job (and the Train state)
    can complete while its rules are still InProgress.
    """
    deadline = time.monotonic() + timeout
    while True:
        described = sagemaker.describe_training_job(TrainingJobName=job)
        rules = described.get("DebugRuleEvaluationStatuses", [])
        if all(r["RuleEvaluationStatus"] != "InProgress" for r in rules) or time.monotonic() > deadline:
            return rules
        time.sleep(poll)


def _verdicts(rules: Any) -> str:
    """The Train state's ``rules`` (each rule's metric values: [1.0] issues found, [0.0] none)."""
    def status(values: Any) -> str:
        if not values:
            return "NotReported"
        return "IssuesFound" if float(values[0]) else "NoIssuesFound"

    return ", ".join(f"{rule}={status(values)}" for rule, values in (rules or {}).items())


def print_success(output: dict[str, Any], seconds: float, data_dir: Path | None, out: TextIO,
                  sagemaker: Any | None = None, endpoint_url: str | None = None, *,
                  mlflow_url: str | None = None, execution_arn: str | None = None) -> None:
    def w(line: str = "") -> None:
        print(line, file=out)

    w(f"\nPipeline SUCCEEDED in {seconds:.0f} s")
    objective = output.get("tuning_objective") or {}
    w(f"  best hyperparameters: {_fmt_params(output.get('best_hyperparameters') or {})}"
      + (f"  ({objective.get('MetricName')}={objective.get('Value'):.4f})" if objective else ""))
    w(f"  test accuracy:        {output.get('test_accuracy'):.4f}")
    job = output.get("training_job")
    if isinstance(output.get("rules"), dict):
        w("  checks (train.py):    " + _verdicts(output["rules"]))
    debugger_rules = final_rules(sagemaker, job) if sagemaker and job else []
    if debugger_rules:
        w("  Debugger rules:       " + ", ".join(
            f"{r['RuleConfigurationName']}={r['RuleEvaluationStatus']}" for r in debugger_rules))
    smoke = output.get("smoke_test") or {}
    latency = smoke.get("latency_ms") or {}
    w(f"  smoke test:           {smoke.get('images', 0)} images passed, "
      f"p50 {latency.get('p50')} ms, max {latency.get('max')} ms, "
      f"{smoke.get('top1_correct', 0)} top-1 correct")
    endpoint = output.get("endpoint_name")
    w(f"  endpoint:             {endpoint} ({output.get('endpoint_action', '')}d, InService)")
    w(f"    invoke it:          python deploy_workflow.py invoke --endpoint {endpoint} --image PATH_OR_URL")
    w(f"    load it:            python deploy_workflow.py load --endpoint {endpoint} --rps 20 --duration 30")
    registry = output.get("model_registry") or {}
    if registry.get("promoted"):
        w(f"  model registry:       {registry['detail']['model']} version {registry['detail']['version']} "
          f"is now '{registry['detail']['alias']}'")
    elif registry.get("Error"):
        w(f"  model registry:       not updated: {registry['Error']}: {_cause_text(registry.get('Cause', ''))[:300]}")
    if mlflow_url and execution_arn:
        from workflow.local.mlflow_lookup import execution_run_url

        w(f"  MLflow run:           {execution_run_url(mlflow_url, execution_arn) or mlflow_url}")
    if job and data_dir:
        from workflow.local.sagemaker.training.layout import JobPaths

        paths = JobPaths.of(data_dir, job)
        w(f"  loss curve:           {paths.output_data / 'loss-curve.png'}")
        profile = paths.output_data / "profile-summary.json"
        if profile.is_file():
            summary = json.loads(profile.read_text())
            w(f"  profile:              {summary.get('verdict')}: {summary.get('evidence')}")
        w(f"  profile summary:      {profile}")
        if debugger_rules:
            # Deferred: the evaluation module pulls in numpy, which the command line needs nowhere else.
            from workflow.local.sagemaker.debugger.evaluation import LOSS_CURVE, PROFILER_REPORT

            w(f"  Debugger loss curve:  {paths.rule_output / LOSS_CURVE}")
            w(f"  profiler report:      {paths.rule_output / PROFILER_REPORT}")
        w(f"  training log:         python deploy_workflow.py logs {job}")
    w(f"  model archive:        {output.get('model_data')}")
    if endpoint_url and str(output.get("model_data", "")).startswith("s3://"):
        w(f"    download it:        aws s3 cp {output['model_data']} . --endpoint-url {endpoint_url}")
