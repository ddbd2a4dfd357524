"""Local SageMaker training jobs: the user's script in a job directory laid out like /opt/ml.

``TrainingJobs`` is the SageMaker part answering CreateTrainingJob,
DescribeTrainingJob, ListTrainingJobs and StopTrainingJob.
"""
from workflow.local.sagemaker.training.jobs import TrainingJobs

__all__ = ["TrainingJobs"]
