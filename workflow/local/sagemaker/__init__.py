"""The local SageMaker service: one backend made of parts (training, tuning, hosting).

SageMaker is one botocore service, but its training jobs, tuning jobs and
hosting share nothing but the store, so each lives in its own part. A part
is a class built with the ``ServerContext`` that has ``start()``,
``shutdown()`` and one snake_case method per operation it answers.
"""
from __future__ import annotations

import importlib
from typing import Any

from workflow.local.backend import Backend, snake_case
from workflow.local.context import ServerContext
from workflow.local.errors import UnknownOperationException
from workflow.local.sagemaker.hosting import zygote

PARTS: tuple[str, ...] = (
    "workflow.local.sagemaker.training:TrainingJobs",
    "workflow.local.sagemaker.tuning:TuningJobs",
    "workflow.local.sagemaker.hosting:Hosting",
)
#: Operations an endpoint usually follows: the hosting fork server starts importing the
#: serving libraries then, so they are loaded by the time the first instance starts.
LEAD_TO_HOSTING = frozenset({"CreateTrainingJob", "CreateHyperParameterTuningJob", "CreateModel"})


def _load(spec: str) -> type:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


class SageMakerBackend(Backend):
    service = "sagemaker"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(ctx)
        self.parts = [_load(spec)(ctx) for spec in PARTS]

    def part(self, cls: type) -> Any:
        """The part of a given class, for parts that read each other (hosting reads jobs)."""
        return next(p for p in self.parts if isinstance(p, cls))

    def start(self) -> None:
        for part in self.parts:
            part.start()

    def shutdown(self) -> None:
        for part in reversed(self.parts):
            part.shutdown()

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        name = snake_case(operation)
        if operation in LEAD_TO_HOSTING:
            zygote.warm_up()
        for part in self.parts:
            method = getattr(part, name, None)
            if method is not None:
                return method(params)
        raise UnknownOperationException(
            f"Operation {operation} is not supported by the local sagemaker service"
        )
