"""The records SageMaker's jobs keep in the store.

A record is the Describe* answer as AWS shapes it (the protocol layer serialises it
from botocore's output shape), plus a private ``_local`` part that only the server
reads. The TypedDicts name every field the server writes, so that mypy checks each
read and write; the members a record echoes from its request stay the request's JSON.
Statuses are stored as AWS's plain strings and read back as such: a ``JobStatus``
member compares equal to what the store returns.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, Required, TypedDict

from workflow.local.sagemaker.statuses import JobStatus, RuleStatus


class RuleEvaluation(TypedDict):
    """One entry of DebugRuleEvaluationStatuses or ProfilerRuleEvaluationStatuses: what
    the rule's processing job tells of itself."""

    RuleConfigurationName: str
    RuleEvaluationJobArn: str
    RuleEvaluationStatus: RuleStatus
    LastModifiedTime: datetime
    StatusDetails: NotRequired[str]


class RuleEvaluations(TypedDict, total=False):
    """The rule statuses a training job's record holds, as the rule job reports them."""

    DebugRuleEvaluationStatuses: list[RuleEvaluation]
    ProfilerRuleEvaluationStatuses: list[RuleEvaluation]


class DebuggerFields(RuleEvaluations, total=False):
    """What Debugger and Profiler add to a training job's record when it is created."""

    ProfilingStatus: str


class SecondaryStatusTransition(TypedDict):
    Status: str
    StartTime: datetime
    StatusMessage: str
    EndTime: NotRequired[datetime]


class MetricData(TypedDict):
    """One entry of FinalMetricDataList."""

    MetricName: str
    Value: float
    Timestamp: datetime


class ModelArtifacts(TypedDict):
    S3ModelArtifacts: str


class StoppingCondition(TypedDict, total=False):
    MaxRuntimeInSeconds: int
    MaxWaitTimeInSeconds: int
    MaxPendingTimeInSeconds: int


class JobOutputs(RuleEvaluations, total=False):
    """What a training job's end adds to its record: where its model is, its rules' verdicts."""

    ModelArtifacts: ModelArtifacts


class TrainingLocal(TypedDict):
    """``_local`` of a training job: what a restarted server watches it again with."""

    tags: list[dict[str, str]]
    request: dict[str, Any]
    #: The command line of the script, once it started (to find its process again).
    command: NotRequired[list[str]]


class TrainingRequestEcho(TypedDict, total=False):
    """The members of CreateTrainingJob that DescribeTrainingJob echoes, as botocore validated
    them (the server reads its own copy of the request, in ``_local``)."""

    HyperParameters: dict[str, str]
    AlgorithmSpecification: dict[str, Any]
    RoleArn: str
    InputDataConfig: list[dict[str, Any]]
    OutputDataConfig: dict[str, Any]
    ResourceConfig: dict[str, Any]
    VpcConfig: dict[str, Any]
    #: With MaxRuntimeInSeconds always (its default when the request had none).
    StoppingCondition: StoppingCondition
    CheckpointConfig: dict[str, Any]
    DebugHookConfig: dict[str, Any]
    DebugRuleConfigurations: list[dict[str, Any]]
    TensorBoardOutputConfig: dict[str, Any]
    ExperimentConfig: dict[str, Any]
    ProfilerConfig: dict[str, Any]
    ProfilerRuleConfigurations: list[dict[str, Any]]
    Environment: dict[str, str]
    RetryStrategy: dict[str, Any]


class TrainingJob(TrainingRequestEcho, DebuggerFields, total=False):
    """A training job as DescribeTrainingJob tells it."""

    TrainingJobName: Required[str]
    TrainingJobArn: Required[str]
    TrainingJobStatus: Required[JobStatus]
    SecondaryStatus: Required[str]
    SecondaryStatusTransitions: Required[list[SecondaryStatusTransition]]
    CreationTime: Required[datetime]
    LastModifiedTime: Required[datetime]
    EnableNetworkIsolation: bool
    EnableInterContainerTrafficEncryption: bool
    EnableManagedSpotTraining: bool
    TuningJobArn: str
    TrainingStartTime: datetime
    TrainingEndTime: datetime
    TrainingTimeInSeconds: int
    BillableTimeInSeconds: int
    FailureReason: str
    FinalMetricDataList: list[MetricData]
    ModelArtifacts: ModelArtifacts


class TrainingJobRecord(TrainingJob, total=False):
    """A training job as the store keeps it: its description and ``_local``."""

    _local: Required[TrainingLocal]


class TuningChild(TypedDict):
    """One training job a tuning job launched, in the order it launched them."""

    name: str
    tuned: dict[str, str]
    #: Why CreateTrainingJob refused it (the child then never ran).
    error: NotRequired[str]


class TuningLocal(TypedDict):
    """``_local`` of a tuning job: its request and its children, to take it up again."""

    tags: list[dict[str, str]]
    request: dict[str, Any]
    children: list[TuningChild]


class TuningObjective(TypedDict):
    """HyperParameterTuningJobObjective."""

    Type: str
    MetricName: str


class ObjectiveMetric(TypedDict):
    """FinalHyperParameterTuningJobObjectiveMetric."""

    Type: str
    MetricName: str
    Value: float


class TrainingJobSummary(TypedDict, total=False):
    """A HyperParameterTrainingJobSummary: one child as its tuning job describes it."""

    TrainingJobName: Required[str]
    TrainingJobArn: Required[str]
    TuningJobName: Required[str]
    CreationTime: Required[datetime]
    TrainingJobStatus: Required[JobStatus]
    TunedHyperParameters: Required[dict[str, str]]
    ObjectiveStatus: Required[str]
    TrainingStartTime: datetime
    TrainingEndTime: datetime
    FailureReason: str
    FinalHyperParameterTuningJobObjectiveMetric: ObjectiveMetric


class TrainingJobStatusCounters(TypedDict):
    Completed: int
    InProgress: int
    RetryableError: int
    NonRetryableError: int
    Stopped: int


class ObjectiveStatusCounters(TypedDict):
    Succeeded: int
    Pending: int
    Failed: int


class TuningProgress(TypedDict, total=False):
    """The fields of a tuning job's record that follow its children."""

    TrainingJobStatusCounters: TrainingJobStatusCounters
    ObjectiveStatusCounters: ObjectiveStatusCounters
    BestTrainingJob: TrainingJobSummary


class TuningJobRecord(TuningProgress, total=False):
    """A hyperparameter tuning job: DescribeHyperParameterTuningJob's answer and ``_local``."""

    HyperParameterTuningJobName: Required[str]
    HyperParameterTuningJobArn: Required[str]
    HyperParameterTuningJobStatus: Required[JobStatus]
    CreationTime: Required[datetime]
    LastModifiedTime: Required[datetime]
    HyperParameterTuningEndTime: datetime
    FailureReason: str
    # Echoed from CreateHyperParameterTuningJob as it was given (botocore validated them).
    HyperParameterTuningJobConfig: Required[dict[str, Any]]
    TrainingJobDefinition: Required[dict[str, Any]]
    _local: Required[TuningLocal]
