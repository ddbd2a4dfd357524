"""SageMaker Debugger and Profiler, locally: hook config, built-in rules, loss curve, report.

On AWS, rules run in separate processing jobs beside the training job. Here
they run on the smdebug trial once the script has exited, before the job
reaches its terminal status, so a DescribeTrainingJob that sees the job ended
also sees the rule results.
"""
from workflow.local.sagemaker.debugger.job import (
    analyse,
    hook_config,
    initial_statuses,
    profiler_sampler,
    validate,
)

__all__ = ["analyse", "hook_config", "initial_statuses", "profiler_sampler", "validate"]
