"""Debugger's and Profiler's folders of a finished job, uploaded to S3 from the server's
process (the analysis that writes them runs in a process of its own, ``rule_job``)."""
from __future__ import annotations

from typing import Any

from workflow.local.sagemaker.debugger.config import profiling_enabled
from workflow.local.sagemaker.training.artifacts import publish_folder
from workflow.local.sagemaker.training.layout import JobPaths
from workflow.local.sagemaker.training.storage import JobStorage


def publish(request: dict[str, Any], paths: JobPaths, job_name: str, storage: JobStorage) -> None:
    """Tensors under DebugHookConfig.S3OutputPath, profiler output under ProfilerConfig's,
    the rule output under the job's output path, as SageMaker lays them out."""
    if request.get("DebugHookConfig") or request.get("DebugRuleConfigurations"):
        publish_folder(paths.debug_output, request, job_name, "debug-output", storage,
                       request.get("DebugHookConfig", {}).get("S3OutputPath"))
    if profiling_enabled(request):
        publish_folder(paths.root / "profiler-output", request, job_name, "profiler-output", storage,
                       request["ProfilerConfig"].get("S3OutputPath"))
    publish_folder(paths.rule_output, request, job_name, "rule-output", storage)
