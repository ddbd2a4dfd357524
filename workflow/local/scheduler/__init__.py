"""EventBridge Scheduler on the local server: schedules that really fire."""
from workflow.local.scheduler.backend import SchedulerBackend

__all__ = ["SchedulerBackend"]
