"""The records hosting keeps in the store: models, endpoint configs and endpoints.

Each is the Describe* answer as AWS shapes it; what the server writes is named here so
that mypy checks it. A model's container and a config's variants are the request's
members as botocore validated them, with the defaults SageMaker fills in.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, NotRequired, Required, TypedDict

from workflow.local.sagemaker.statuses import EndpointStatus

#: The store's document kinds, keyed by the resource's name.
MODEL = "sagemaker.model"
CONFIG = "sagemaker.endpoint-config"
ENDPOINT = "sagemaker.endpoint"


class ModelRecord(TypedDict):
    ModelName: str
    ModelArn: str
    #: The container, from PrimaryContainer or the one entry of Containers.
    PrimaryContainer: dict[str, Any]
    CreationTime: datetime
    EnableNetworkIsolation: bool
    ExecutionRoleArn: NotRequired[str]


class ProductionVariant(TypedDict, total=False):
    """A variant of an endpoint config as stored: the request's, with its defaults."""

    VariantName: Required[str]
    ModelName: Required[str]
    InitialInstanceCount: Required[int]
    InstanceType: Required[str]
    InitialVariantWeight: Required[float]
    ServerlessConfig: dict[str, Any]


class EndpointConfigRecord(TypedDict):
    EndpointConfigName: str
    EndpointConfigArn: str
    ProductionVariants: list[ProductionVariant]
    CreationTime: datetime


class DeployedImage(TypedDict):
    SpecifiedImage: str
    ResolvedImage: str


class ProductionVariantSummary(TypedDict):
    VariantName: str
    DeployedImages: list[DeployedImage]
    CurrentWeight: float
    DesiredWeight: float
    CurrentInstanceCount: int
    DesiredInstanceCount: int


class PendingDeploymentSummary(TypedDict):
    EndpointConfigName: str
    StartTime: datetime


class EndpointRecord(TypedDict):
    EndpointName: str
    EndpointArn: str
    EndpointConfigName: str
    EndpointStatus: EndpointStatus
    CreationTime: datetime
    LastModifiedTime: datetime
    #: Once the endpoint has served: its variants as DescribeEndpoint shows them.
    ProductionVariants: NotRequired[list[ProductionVariantSummary]]
    FailureReason: NotRequired[str]
    #: While UpdateEndpoint deploys another config.
    PendingDeploymentSummary: NotRequired[PendingDeploymentSummary]


class EndpointChange(TypedDict, total=False):
    """Fields an endpoint's change writes; None clears a field."""

    EndpointStatus: EndpointStatus
    EndpointConfigName: str
    ProductionVariants: list[ProductionVariantSummary]
    FailureReason: str | None
    PendingDeploymentSummary: PendingDeploymentSummary | None
