"""``deploy_workflow.py run``: the whole pipeline on the local server, start to summary.

Steps: the local server (started if it is not running), the execution input
checked against its schema, the dataset zip (synthetic by default) uploaded to
the local bucket on the server's S3, the Lambdas, the training code and the
state machine deployed onto the server, one execution followed with progress,
and a summary with where to look next.

The order keeps a first run short: the server's start-up (half a second, and
its Lambda runtime's imports) overlaps the checks, the dataset and the
clients' set-up.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from workflow.execution_input import check
from workflow.pipeline.defaults import INCOMING_PREFIX, SYNTHETIC, default_input
from workflow.pipeline.local_bucket import ensure_buckets, upload_zip
from workflow.pipeline.local_setup import deploy_local
from workflow.pipeline.progress import ProgressPrinter
from workflow.pipeline.server_start import ServerStart
from workflow.pipeline.watch import follow

#: The services a run deploys with (its SageMaker client is built while the execution runs).
DEPLOY_SERVICES = ("iam", "s3", "lambda", "stepfunctions")


@dataclass
class RunOptions:
    workdir: Path
    dataset: str | None = None
    input_file: Path | None = None
    endpoint_name: str | None = None
    keep_endpoint: bool = True
    timeout: float = 3600.0


@dataclass
class RunResult:
    status: str
    execution_arn: str
    description: dict[str, Any]
    history: list[dict[str, Any]]
    endpoint_url: str
    mlflow_url: str | None = None


@dataclass(frozen=True)
class DatasetPlan:
    """The execution's ``dataset_uri``, and the local zip to upload there first (if any)."""

    uri: str
    upload: Path | None = None


def dataset_plan(workdir: Path, dataset: str | None) -> DatasetPlan:
    """A URI (s3://, https://, file://) is used as given; a path, or the synthetic default,
    is uploaded to the local bucket's incoming prefix, as a zip is on AWS."""
    if dataset and "://" in dataset:
        return DatasetPlan(dataset)
    if dataset:
        path = Path(dataset).expanduser().resolve()
        if not path.is_file():
            raise FileNotFoundError(f"--dataset: no such file: {path}")
    else:
        path = synthetic_zip(workdir).resolve()
    return DatasetPlan(f"{INCOMING_PREFIX}/{path.name}", path)


def synthetic_zip(workdir: Path) -> Path:
    return workdir / "datasets" / "synthetic-dogImages.zip"


def ensure_synthetic(workdir: Path, out: TextIO) -> None:
    """Generate the synthetic dataset zip once per work directory."""
    zip_path = synthetic_zip(workdir)
    if not zip_path.is_file():
        from workflow.synthetic import generate_zip

        print(f"generating the synthetic dataset ({SYNTHETIC['num_classes']} breeds) ...", file=out)
        generate_zip(zip_path, workdir / "datasets" / "synthetic", **SYNTHETIC)


def load_input(options: RunOptions, uri: str) -> dict[str, Any]:
    if options.input_file:
        try:
            document = json.loads(options.input_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValueError(f"--input {options.input_file}: {err}") from err
    else:
        document = default_input(uri)
    if options.endpoint_name and isinstance(document, dict):
        document["endpoint_name"] = options.endpoint_name
    return check(document, str(options.input_file) if options.input_file else "default input")


def run_pipeline(options: RunOptions, server: ServerStart, clients_for: Any, out: TextIO) -> RunResult:
    """Deploy and run once on ``server`` (see ``server_start``); ``clients_for(endpoint_url)``
    returns a ``client(service)`` factory."""
    options.workdir.mkdir(parents=True, exist_ok=True)
    try:
        plan = dataset_plan(options.workdir, options.dataset)
        document = load_input(options, plan.uri)
        if not options.dataset:
            ensure_synthetic(options.workdir, out)
        if server.endpoint_url:  # clients take a tenth of a second to build: while the server starts
            for service in DEPLOY_SERVICES:
                clients_for(server.endpoint_url)(service)
        state = server.wait()
    except BaseException:
        server.abandon()
        raise
    clients = clients_for(state.endpoint_url)
    s3 = clients("s3")
    ensure_buckets(s3, document["data_prefix"], document["output_prefix"])
    if plan.upload is not None and document["dataset_uri"] == plan.uri:
        upload_zip(s3, plan.upload, plan.uri, out)
    deployment = deploy_local(clients, options.workdir / "build", document["endpoint_name"], state.mlflow_url)
    sfn = clients("stepfunctions")
    name = time.strftime("run-%Y%m%d-%H%M%S")
    arn = sfn.start_execution(stateMachineArn=deployment.state_machine_arn, name=name,
                              input=json.dumps(document))["executionArn"]
    print(f"execution {name} started on {state.endpoint_url}", file=out)
    printer = ProgressPrinter(clients("sagemaker"), out)
    history = []
    for event in follow(sfn, arn, poll=0.5, quick_poll=0.05, timeout=options.timeout, on_idle=printer.idle):
        history.append(event)
        printer.event(event)
    description = sfn.describe_execution(executionArn=arn)
    return RunResult(description["status"], arn, description, history, state.endpoint_url, state.mlflow_url)
