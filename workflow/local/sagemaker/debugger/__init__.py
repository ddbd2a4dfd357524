"""SageMaker Debugger and Profiler, locally: hook config, built-in rules, loss curve, report.

On AWS, rules run in separate processing jobs beside the training job. Here
one rule job (``rule_job``, a process of its own) evaluates them on the smdebug
trial once the script has exited: the training job is Completed while its
DebugRuleEvaluationStatuses are still InProgress, as on AWS.
"""
from workflow.local.sagemaker.debugger.job import (
    has_analysis,
    hook_config,
    initial_statuses,
    profiler_sampler,
    validate,
)

__all__ = ["has_analysis", "hook_config", "initial_statuses", "profiler_sampler", "validate"]
