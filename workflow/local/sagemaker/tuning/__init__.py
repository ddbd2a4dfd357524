"""Local hyperparameter tuning jobs: Optuna proposes, real local training jobs evaluate.

``TuningJobs`` is the SageMaker part answering Create/Describe/List/Stop
HyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob.
"""
from workflow.local.sagemaker.tuning.jobs import TuningJobs

__all__ = ["TuningJobs"]
