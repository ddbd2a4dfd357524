"""Task integrations against botocore clients whose AWS answers are stubbed.

botocore's Stubber stands in for AWS itself (the same role moto plays elsewhere): it
checks every request against the service model and returns the response AWS would,
including failures moto cannot produce (function errors, failed or stopped jobs).
Expected shapes follow the Step Functions developer guide: "Invoke a Lambda function"
(the Invoke response with Payload; errorType as the error name), "Run a Job (.sync)",
"Create and manage Amazon SageMaker AI jobs" and "AWS SDK service integrations"
(errors named <ServiceName>.<ErrorName>Exception).
"""
from __future__ import annotations

import io
import json
import threading
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

from workflow.engine import ExecutionContext, Interpreter, InvalidDefinition, VirtualClock, parse_definition

from .helpers import run
from .shapes import shape_errors

NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def client(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def payload(value: Any) -> StreamingBody:
    raw = json.dumps(value).encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


def task(resource: str, **fields: Any) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "End": True, **fields}}}


def run_with(stubbed: dict[str, Any], definition: dict, input: Any = None, events: list | None = None, **kw: Any):
    result = run(definition, input, events=events, client_factory=lambda name: stubbed[name], **kw)
    for stub in stubbed.values():
        stub.stubber.assert_no_pending_responses()
    return result


def stubbed(service: str) -> Any:
    c = client(service)
    c.stubber = Stubber(c)
    c.stubber.activate()
    return c


# --- Lambda -------------------------------------------------------------------------------
def test_lambda_invoke_returns_the_invoke_response() -> None:
    lam = stubbed("lambda")
    lam.stubber.add_response("invoke", {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": payload({"ok": 1}),
                                        "ResponseMetadata": {"RequestId": "req-1", "HTTPStatusCode": 200,
                                                             "HTTPHeaders": {"x-amz-request-id": "req-1"}}},
                             {"FunctionName": "fn", "Payload": json.dumps({"in": 5}).encode()})
    events: list[dict] = []
    result = run_with({"lambda": lam}, task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "fn", "Payload.$": "$"}),
                      {"in": 5}, events)
    assert result.output == {
        "ExecutedVersion": "$LATEST", "Payload": {"ok": 1},
        "SdkHttpMetadata": {"AllHttpHeaders": {"x-amz-request-id": ["req-1"]}, "HttpHeaders": {"x-amz-request-id": "req-1"},
                            "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": "req-1"}, "StatusCode": 200}
    assert [e["type"] for e in events] == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
                                           "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"]
    scheduled = events[2]["taskScheduledEventDetails"]
    assert scheduled["resourceType"] == "lambda" and scheduled["resource"] == "invoke" and scheduled["region"] == "us-east-1"
    assert json.loads(scheduled["parameters"]) == {"FunctionName": "fn", "Payload": {"in": 5}}
    assert all(shape_errors(e) == [] for e in events)


def test_lambda_function_error_uses_the_error_type() -> None:
    lam = stubbed("lambda")
    body = {"errorType": "ValueError", "errorMessage": "bad input", "stackTrace": []}
    lam.stubber.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": payload(body)})
    events: list[dict] = []
    result = run_with({"lambda": lam}, task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "fn"}), {}, events)
    assert (result.status, result.error) == ("FAILED", "ValueError")
    assert json.loads(result.cause) == body
    failed = [e for e in events if e["type"] == "TaskFailed"][0]["taskFailedEventDetails"]
    assert failed["error"] == "ValueError" and failed["resourceType"] == "lambda"


def test_lambda_function_error_without_type_is_lambda_unknown() -> None:
    lam = stubbed("lambda")
    lam.stubber.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": payload("Out of memory")})
    result = run_with({"lambda": lam}, task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "fn"}))
    assert result.error == "Lambda.Unknown"


def test_lambda_service_error_is_named_after_the_exception_and_retried() -> None:
    lam = stubbed("lambda")
    lam.stubber.add_client_error("invoke", "TooManyRequestsException", "Rate exceeded", 429)
    lam.stubber.add_response("invoke", {"StatusCode": 200, "Payload": payload({"done": True})})
    events: list[dict] = []
    clock = VirtualClock()
    definition = task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "fn"}, ResultSelector={"p.$": "$.Payload"},
                      Retry=[{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "MaxAttempts": 1}])
    result = run_with({"lambda": lam}, definition, {}, events, clock=clock)
    assert result.output == {"p": {"done": True}}
    assert clock.sleeps == [2]
    assert [e["type"] for e in events].count("TaskScheduled") == 2
    failed = [e for e in events if e["type"] == "TaskFailed"][0]["taskFailedEventDetails"]
    assert failed["error"] == "Lambda.TooManyRequestsException" and "Rate exceeded" in failed["cause"]


def test_plain_function_arn_returns_the_payload_with_lambda_events() -> None:
    lam = stubbed("lambda")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:stage-data"
    lam.stubber.add_response("invoke", {"StatusCode": 200, "Payload": payload({"staged": 3})},
                             {"FunctionName": arn, "Payload": b'{"uri": "file:///d"}'})
    events: list[dict] = []
    result = run_with({"lambda": lam}, task(arn, ResultPath="$.stage"), {"uri": "file:///d"}, events)
    assert result.output == {"uri": "file:///d", "stage": {"staged": 3}}
    assert [e["type"] for e in events][2:5] == ["LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded"]
    assert all(shape_errors(e) == [] for e in events)


# --- aws-sdk --------------------------------------------------------------------------------
def test_aws_sdk_maps_service_action_and_parameter_case() -> None:
    scaling = stubbed("application-autoscaling")
    scaling.stubber.add_response(
        "register_scalable_target", {"ScalableTargetARN": "arn:target"},
        {"ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/AllTraffic",
         "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "MinCapacity": 1, "MaxCapacity": 3})
    events: list[dict] = []
    definition = task("arn:aws:states:::aws-sdk:applicationautoscaling:registerScalableTarget", Parameters={
        "ServiceNamespace": "sagemaker", "ResourceId": "endpoint/ep/variant/AllTraffic",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "MinCapacity": 1, "MaxCapacity": 3})
    result = run_with({"application-autoscaling": scaling}, definition, {}, events)
    assert result.output == {"ScalableTargetARN": "arn:target"}
    scheduled = [e for e in events if e["type"] == "TaskScheduled"][0]["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"]) == ("aws-sdk:applicationautoscaling", "registerScalableTarget")


def test_aws_sdk_pascal_case_parameters_and_results_for_a_camel_case_service() -> None:
    sfn = stubbed("stepfunctions")
    sfn.stubber.add_response("describe_state_machine", {
        "stateMachineArn": "arn:sm", "name": "sm", "definition": "{}", "roleArn": "arn:aws:iam::123456789012:role/sm", "type": "STANDARD",
        "creationDate": NOW}, {"stateMachineArn": "arn:sm"})
    result = run_with({"stepfunctions": sfn}, task("arn:aws:states:::aws-sdk:sfn:describeStateMachine",
                                                   Parameters={"StateMachineArn": "arn:sm"}))
    assert result.output == {"StateMachineArn": "arn:sm", "Name": "sm", "Definition": "{}", "RoleArn": "arn:aws:iam::123456789012:role/sm",
                             "Type": "STANDARD", "CreationDate": "2024-01-01T00:00:00Z"}


@pytest.mark.parametrize("service,action,params,boto3_name,code,expected", [
    # Not declared by the SageMaker model: the SDK's base exception names the error.
    ("sagemaker", "describeEndpoint", {"EndpointName": "ep"}, "sagemaker", "ValidationException", "SageMaker.SageMakerException"),
    ("sagemaker", "describeEndpoint", {"EndpointName": "ep"}, "sagemaker", "ResourceNotFound", "SageMaker.ResourceNotFoundException"),
    ("s3", "createBucket", {"Bucket": "b"}, "s3", "BucketAlreadyExists", "S3.BucketAlreadyExistsException"),
    ("acmpca", "deleteCertificateAuthority", {"CertificateAuthorityArn": "arn:aws:acm-pca:us-east-1:123456789012:ca/x"},
     "acm-pca", "ResourceNotFoundException", "AcmPca.ResourceNotFoundException"),
    ("applicationautoscaling", "deleteScalingPolicy", {"PolicyName": "p", "ServiceNamespace": "sagemaker", "ResourceId": "r",
                                                      "ScalableDimension": "sagemaker:variant:DesiredInstanceCount"},
     "application-autoscaling", "ObjectNotFoundException", "ApplicationAutoScaling.ObjectNotFoundException"),
])
def test_aws_sdk_error_names(service: str, action: str, params: dict, boto3_name: str, code: str, expected: str) -> None:
    from botocore import xform_name

    c = stubbed(boto3_name)
    c.stubber.add_client_error(xform_name(action[0].upper() + action[1:]), code, "it went wrong", 400)
    result = run_with({boto3_name: c}, task(f"arn:aws:states:::aws-sdk:{service}:{action}", Parameters=params))
    assert (result.status, result.error) == ("FAILED", expected)
    assert "it went wrong" in result.cause


def test_aws_sdk_unknown_action_is_rejected_before_running() -> None:
    with pytest.raises(InvalidDefinition) as raised:
        run(task("arn:aws:states:::aws-sdk:sagemaker:launchRocket", Parameters={}), client_factory=client)
    assert raised.value.diagnostics[0].code == "INVALID_RESOURCE"


# --- SageMaker ------------------------------------------------------------------------------
def training(status: str, **extra: Any) -> dict:
    return {"TrainingJobName": "job", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job",
            "ModelArtifacts": {"S3ModelArtifacts": "file:///models/job.tar.gz"}, "TrainingJobStatus": status,
            "SecondaryStatus": "Training" if status == "InProgress" else status, "StoppingCondition": {},
            "CreationTime": NOW, **extra}


TRAIN_SYNC = task("arn:aws:states:::sagemaker:createTrainingJob.sync", Parameters={"TrainingJobName": "job", "RoleArn": "arn:aws:iam::123456789012:role/sm",
                  "AlgorithmSpecification": {"TrainingInputMode": "File", "TrainingImage": "img"},
                  "OutputDataConfig": {"S3OutputPath": "file:///out"},
                  "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                  "StoppingCondition": {"MaxRuntimeInSeconds": 60}})


def test_sagemaker_sync_polls_describe_until_completed() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job"})
    sm.stubber.add_response("describe_training_job", training("InProgress"), {"TrainingJobName": "job"})
    sm.stubber.add_response("describe_training_job", training("InProgress"), {"TrainingJobName": "job"})
    sm.stubber.add_response("describe_training_job", training("Completed"), {"TrainingJobName": "job"})
    clock = VirtualClock()
    events: list[dict] = []
    result = run_with({"sagemaker": sm}, TRAIN_SYNC, {}, events, clock=clock, poll_interval=30)
    assert result.status == "SUCCEEDED"
    assert result.output["TrainingJobStatus"] == "Completed"
    assert result.output["CreationTime"] == int(NOW.timestamp() * 1000)
    assert result.output["ModelArtifacts"] == {"S3ModelArtifacts": "file:///models/job.tar.gz"}
    assert clock.sleeps == [30, 30]
    kinds = [e["type"] for e in events]
    assert kinds[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = events[4]["taskSubmittedEventDetails"]
    assert submitted["resource"] == "createTrainingJob.sync" and json.loads(submitted["output"]) == {"TrainingJobArn": training("x")["TrainingJobArn"]}
    assert all(shape_errors(e) == [] for e in events)


def test_a_job_change_wakes_the_sync_task_before_its_next_poll() -> None:
    # Step Functions learns of a SageMaker job's end from its state-change event, not a poll.
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job"})
    sm.stubber.add_response("describe_training_job", training("InProgress"), {"TrainingJobName": "job"})
    sm.stubber.add_response("describe_training_job", training("Completed"), {"TrainingJobName": "job"})
    watched: list[Any] = []

    def job_watch(kind: str, name: str, changed: threading.Event):
        watched.append((kind, name))
        threading.Timer(0.05, changed.set).start()  # the job ends just after the first read
        return lambda: watched.append("unwatched")

    interpreter = Interpreter(parse_definition(TRAIN_SYNC), client_factory=lambda name: sm, poll_interval=3600,
                              job_watch=job_watch)
    result = interpreter.start({}, ExecutionContext.local()).wait(60)  # an hour without the wake-up
    assert result is not None and result.status == "SUCCEEDED"
    assert result.output["TrainingJobStatus"] == "Completed"
    assert watched == [("TrainingJob", "job"), "unwatched"]
    sm.stubber.assert_no_pending_responses()


def test_sagemaker_sync_failed_job_is_task_failed_with_the_description() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job"})
    sm.stubber.add_response("describe_training_job", training("Failed", FailureReason="AlgorithmError: loss is NaN"))
    result = run_with({"sagemaker": sm}, TRAIN_SYNC)
    assert (result.status, result.error) == ("FAILED", "States.TaskFailed")
    assert json.loads(result.cause)["FailureReason"] == "AlgorithmError: loss is NaN"


def test_sagemaker_request_response_and_error_names() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_model", {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m"}, {"ModelName": "m", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/sm"})
    sm.stubber.add_client_error("create_endpoint", "ResourceInUse", "Endpoint already exists", 400)
    sm.stubber.add_client_error("create_endpoint", "ValidationException", "Bad config", 400)
    definition = {"StartAt": "M", "States": {
        "M": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createModel", "Next": "E1", "ResultPath": "$.model",
              "Parameters": {"ModelName": "m", "ExecutionRoleArn": "arn:aws:iam::123456789012:role/sm"}},
        "E1": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createEndpoint", "Next": "E2", "ResultPath": "$.e1",
               "Parameters": {"EndpointName": "ep", "EndpointConfigName": "cfg"},
               "Catch": [{"ErrorEquals": ["SageMaker.ResourceInUseException"], "ResultPath": "$.e1", "Next": "E2"}]},
        "E2": {"Type": "Task", "Resource": "arn:aws:states:::sagemaker:createEndpoint", "End": True,
               "Parameters": {"EndpointName": "ep", "EndpointConfigName": "cfg"}}}}
    result = run_with({"sagemaker": sm}, definition)
    assert (result.status, result.error) == ("FAILED", "SageMaker.AmazonSageMakerException")
    assert "Bad config" in result.cause


def test_stopping_the_execution_stops_the_training_job() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job"})
    sm.stubber.add_response("stop_training_job", {}, {"TrainingJobName": "job"})
    events: list[dict] = []
    interpreter = Interpreter(parse_definition(TRAIN_SYNC), client_factory=lambda name: sm, clock=VirtualClock())
    holder: dict = {}
    ready = threading.Event()

    def sink(event: dict) -> None:
        events.append(event)
        if event["type"] == "TaskSubmitted":
            assert ready.wait(10)
            holder["handle"].stop(cause="user stop")

    holder["handle"] = interpreter.start({}, ExecutionContext.local(), sink)
    ready.set()
    result = holder["handle"].wait(10)
    holder["handle"]._thread.join(10)
    assert result.status == "ABORTED"
    sm.stubber.assert_no_pending_responses()
    assert events[-1]["type"] == "ExecutionAborted"


def test_task_timeout_during_sync_times_out_and_stops_the_job() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_training_job", {"TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/job"})
    for _ in range(4):
        sm.stubber.add_response("describe_training_job", training("InProgress"))
    sm.stubber.add_response("stop_training_job", {}, {"TrainingJobName": "job"})
    definition = json.loads(json.dumps(TRAIN_SYNC))
    definition["States"]["T"]["TimeoutSeconds"] = 100
    events: list[dict] = []
    clock = VirtualClock()
    result = run_with({"sagemaker": sm}, definition, {}, events, clock=clock, poll_interval=30)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert clock.sleeps == [30, 30, 30, 10]
    assert [e["type"] for e in events][-2:] == ["TaskTimedOut", "ExecutionFailed"]


def test_tuning_job_sync_returns_the_tuning_description() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("create_hyper_parameter_tuning_job", {"HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/hpo"})
    described = {"HyperParameterTuningJobName": "hpo", "HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/hpo",
                 "HyperParameterTuningJobConfig": {"Strategy": "Bayesian", "ResourceLimits": {"MaxParallelTrainingJobs": 1}},
                 "HyperParameterTuningJobStatus": "Completed", "CreationTime": NOW, "TrainingJobStatusCounters": {},
                 "ObjectiveStatusCounters": {}, "BestTrainingJob": {"TrainingJobName": "hpo-001", "CreationTime": NOW,
                                                                   "TunedHyperParameters": {"lr": "0.01"},
                                                                   "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/hpo-001", "TrainingJobStatus": "Completed"}}
    sm.stubber.add_response("describe_hyper_parameter_tuning_job", described, {"HyperParameterTuningJobName": "hpo"})
    definition = task("arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync",
                      Parameters={"HyperParameterTuningJobName": "hpo", "HyperParameterTuningJobConfig": {
                          "Strategy": "Bayesian", "ResourceLimits": {"MaxParallelTrainingJobs": 1}}},
                      ResultSelector={"best.$": "$.BestTrainingJob.TunedHyperParameters"})
    assert run_with({"sagemaker": sm}, definition).output == {"best": {"lr": "0.01"}}


# --- callback pattern --------------------------------------------------------------------
def test_wait_for_task_token_resumes_on_send_task_success() -> None:
    lam = stubbed("lambda")
    lam.stubber.add_response("invoke", {"StatusCode": 202, "Payload": payload(None)},
                             {"FunctionName": "approve", "InvocationType": "Event", "Payload": ANY})
    definition = task("arn:aws:states:::lambda:invoke.waitForTaskToken",
                      Parameters={"FunctionName": "approve", "InvocationType": "Event", "Payload": {"token.$": "$$.Task.Token"}})
    events: list[dict] = []
    holder: dict = {}

    def sink(event: dict) -> None:
        events.append(event)
        if event["type"] == "TaskScheduled":
            holder["token"] = json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]["token"]

    handle = Interpreter(parse_definition(definition), client_factory=lambda name: lam, clock=VirtualClock()).start(
        {}, ExecutionContext.local(), sink)
    for _ in range(1000):
        if "token" in holder:
            break
        handle.wait(0.01)
    handle.send_task_success(holder["token"], {"approved": True})
    result = handle.wait(10)
    assert result.status == "SUCCEEDED" and result.output == {"approved": True}


def test_task_result_over_256_kib_is_data_limit_exceeded() -> None:
    lam = stubbed("lambda")
    lam.stubber.add_response("invoke", {"StatusCode": 200, "Payload": payload({"blob": "z" * 270_000})})
    events: list[dict] = []
    result = run_with({"lambda": lam}, task("arn:aws:states:::lambda:invoke", Parameters={"FunctionName": "fn"}), {}, events)
    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")
    assert [e["type"] for e in events][-2:] == ["TaskFailed", "ExecutionFailed"]


def test_sdk_task_without_parameters_sends_no_arguments() -> None:
    sm = stubbed("sagemaker")
    sm.stubber.add_response("list_models", {"Models": []}, {})
    result = run_with({"sagemaker": sm}, task("arn:aws:states:::aws-sdk:sagemaker:listModels"), {"unrelated": 1})
    assert result.output == {"Models": []}
