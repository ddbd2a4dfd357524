"""The run summary's reading of an AccessDenied: action, resource, role, and the policy's code."""
from __future__ import annotations

import io

import pytest

from workflow.pipeline.denial import find_denial
from workflow.pipeline.summary import print_failure

pytestmark = pytest.mark.unit

SESSION = "arn:aws:sts::123456789012:assumed-role/dog-breed-pipeline-StateMachineRole/dog-breed-pipeline"
CAUSE = (f"User: {SESSION} is not authorized to perform: sagemaker:CreateEndpoint on resource: "
         "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/dog-breed-pipeline-c1 because no "
         "identity-based policy allows the sagemaker:CreateEndpoint action (Service: AmazonSageMaker, "
         "Status Code: 400, Request ID: 1)")


def test_the_summary_names_action_resource_role_and_the_policys_code() -> None:
    history = [
        {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "CreateEndpoint"}},
        {"type": "TaskFailed", "taskFailedEventDetails": {"error": "SageMaker.AmazonSageMakerException",
                                                          "cause": CAUSE}},
        {"type": "ExecutionFailed", "executionFailedEventDetails": {
            "error": "SageMaker.AmazonSageMakerException", "cause": CAUSE}},
    ]
    out = io.StringIO()
    print_failure(history, "FAILED", None, out)
    text = out.getvalue()
    assert "state CreateEndpoint failed" in text
    assert ("access denied: sagemaker:CreateEndpoint on "
            "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/dog-breed-pipeline-c1") in text
    assert f"as role:     dog-breed-pipeline-StateMachineRole ({SESSION})" in text
    assert "its policy:  workflow/aws/iam_state_machine.py (statements)" in text


def test_quoted_resources_and_other_roles() -> None:
    quoted = ('User: arn:aws:sts::123456789012:assumed-role/someone-else/s is not authorized to perform: '
              's3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy allows it')
    denial = find_denial(quoted)
    assert denial is not None and denial.resource == "arn:aws:s3:::b/k" and denial.action == "s3:GetObject"
    assert denial.policy_location("dog-breed-pipeline") is None
    assert find_denial("ValidationException: Could not find endpoint configuration") is None
