"""Deploy the pipeline onto the local server: roles, Lambdas, training code and the state machine.

The same steps as the CloudFormation stack on AWS, through the same APIs
(IAM CreateRole and PutRolePolicy of the template's roles, Lambda CreateFunction, S3
PutObject of the training code, Step Functions CreateStateMachine) and the same
``workflow.definition`` rendering. Repeating it updates in place.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from workflow import definition
from workflow.aws.packaging import lambda_zip, sourcedir_tarball
from workflow.aws.settings import DEFAULT_STACK_NAME
from workflow.pipeline.defaults import PREFIX
from workflow.pipeline.local_bucket import upload_code
from workflow.pipeline.local_stack_roles import function_role_arn, put_roles, role_arn

#: The same names as the default stack on AWS.
STATE_MACHINE_NAME = DEFAULT_STACK_NAME

#: Function settings, as the stack declares them on AWS.
FUNCTIONS: dict[str, dict[str, Any]] = {
    "stage_data": {"Timeout": 900, "MemorySize": 2048},
    "smoke_test": {"Timeout": 120, "MemorySize": 512},
    "invoke_endpoint": {"Timeout": 30, "MemorySize": 512, "ReservedConcurrency": 8},
    "promote_model": {"Timeout": 60, "MemorySize": 512},
}


@dataclass
class LocalDeployment:
    state_machine_arn: str
    function_names: dict[str, str]
    sourcedir_uri: str


def function_name(name: str) -> str:
    return f"{PREFIX}-{name.replace('_', '-')}"


def _environment(name: str, endpoint_name: str, mlflow_url: str) -> dict[str, str]:
    env = {
        "POWERTOOLS_SERVICE_NAME": name,
        "POWERTOOLS_METRICS_NAMESPACE": "DogBreedPipeline",
        # No X-Ray daemon runs locally: the Tracer would only warn on every call.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    if name == "invoke_endpoint":
        env["ENDPOINT_NAME"] = endpoint_name
    if name == "promote_model":
        env["MLFLOW_TRACKING_URI"] = mlflow_url
    return env


def _put_function(client: Any, name: str, zip_bytes: bytes, endpoint_name: str, mlflow_url: str) -> str:
    """Create or update one function; returns its ARN."""
    settings = dict(FUNCTIONS[name])
    reserved = settings.pop("ReservedConcurrency", None)
    fname = function_name(name)
    config = {"Runtime": "python3.11", "Role": function_role_arn(name), "Handler": f"{name}.app.handler",
              "Environment": {"Variables": _environment(name, endpoint_name, mlflow_url)}, **settings}
    try:
        arn = client.create_function(FunctionName=fname, Code={"ZipFile": zip_bytes}, **config)["FunctionArn"]
    except ClientError as err:
        if err.response["Error"]["Code"] != "ResourceConflictException":
            raise
        client.update_function_code(FunctionName=fname, ZipFile=zip_bytes)
        arn = client.update_function_configuration(FunctionName=fname, **config)["FunctionArn"]
    if reserved:
        client.put_function_concurrency(FunctionName=fname, ReservedConcurrentExecutions=reserved)
    return arn


def substitution_values(function_arns: dict[str, str], sourcedir_uri: str,
                        mlflow_url: str = definition.TRACKING_OFF) -> dict[str, str]:
    return definition.substitutions(
        ResourcePrefix=PREFIX,
        StageDataFunctionArn=function_arns["stage_data"],
        SmokeTestFunctionArn=function_arns["smoke_test"],
        PromoteModelFunctionArn=function_arns["promote_model"],
        SageMakerRoleArn=role_arn("SageMakerExecutionRole"),
        # The local runtime runs training_src/ itself; the image names only say what AWS would run.
        TrainingImage="local/pytorch-training:2.14-cpu-py311",
        InferenceImage="local/pytorch-inference:2.14-cpu-py311",
        RuleEvaluatorImage="local/sagemaker-debugger-rules:latest",
        SourceDirUri=sourcedir_uri,
        # smdebug is part of the local runtime, so the Debugger variant runs here as on AWS
        # accounts whose training image has it.
        DebuggerSupported="true",
        MlflowTrackingUri=mlflow_url,
    )


def _put_state_machine(sfn: Any, text: str) -> str:
    arns = {m["name"]: m["stateMachineArn"]
            for page in sfn.get_paginator("list_state_machines").paginate() for m in page["stateMachines"]}
    role = role_arn("StateMachineRole")
    if STATE_MACHINE_NAME in arns:
        sfn.update_state_machine(stateMachineArn=arns[STATE_MACHINE_NAME], definition=text, roleArn=role)
        return arns[STATE_MACHINE_NAME]
    return sfn.create_state_machine(name=STATE_MACHINE_NAME, definition=text, roleArn=role)["stateMachineArn"]


def deploy_local(clients: Any, build_dir: Path, endpoint_name: str, mlflow_url: str | None = None
                 ) -> LocalDeployment:
    """``clients(service)`` gives boto3 clients for the local server (whose local bucket
    exists: ``local_bucket.ensure_buckets``); ``mlflow_url`` is its MLflow tracking server
    (None: nothing is tracked)."""
    put_roles(clients("iam"))
    lam = clients("lambda")
    arns = {name: _put_function(lam, name, lambda_zip(name, build_dir, with_dependencies=False).path.read_bytes(),
                                endpoint_name, mlflow_url or definition.TRACKING_OFF)  # the server has the dependencies
            for name in FUNCTIONS}
    sourcedir_uri = upload_code(clients("s3"), sourcedir_tarball(build_dir))
    text = definition.render(substitution_values(arns, sourcedir_uri, mlflow_url or definition.TRACKING_OFF))
    names = {name: function_name(name) for name in arns}
    return LocalDeployment(_put_state_machine(clients("stepfunctions"), text), names, sourcedir_uri)
