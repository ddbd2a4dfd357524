"""IAM's evaluation of identity-based policies, against the examples AWS documents.

Pages: "Policy evaluation logic" and "The difference between explicit and implicit denies"
(reference_policies_evaluation-logic*.html), "IAM JSON policy elements: Resource"
(reference_policies_elements_resource.html), "IAM JSON policy elements: NotAction" and
"NotResource", "IAM policy elements: Variables and tags" (IAM User Guide).
"""
from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.local.access.policy import AccessRequest, Decision, PolicyKind, PrincipalName, evaluate, parse_policy

pytestmark = pytest.mark.unit

ALLOW, IMPLICIT, EXPLICIT = Decision.ALLOW, Decision.IMPLICIT_DENY, Decision.EXPLICIT_DENY


def policy(*statements: dict[str, Any], version: str = "2012-10-17", kind: PolicyKind = PolicyKind.IDENTITY) -> Any:
    return parse_policy(json.dumps({"Version": version, "Statement": list(statements)}), kind)


def decide(policies: Any, action: str, resource: str = "*", **context: Any) -> Decision:
    return evaluate(policies if isinstance(policies, list) else [policies], AccessRequest(action, resource, context))


def test_implicit_explicit_deny_example() -> None:
    # "The difference between explicit and implicit denies": AllowGetList and DenyReports.
    p = policy({"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
               {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"})
    assert decide(p, "iam:GetUser") is ALLOW
    assert decide(p, "iam:CreatePolicy") is IMPLICIT
    assert decide(p, "iam:GetOrganizationsAccessReport") is EXPLICIT
    # Another policy granting a report action (the page's iam:GenerateCredentialReport) does
    # not lift the explicit deny.
    extra = policy({"Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"})
    assert decide([p, extra], "iam:GenerateCredentialReport") is EXPLICIT
    assert decide([extra, p], "iam:GenerateCredentialReport") is EXPLICIT
    assert decide([extra], "iam:GenerateCredentialReport") is ALLOW


def test_deny_wins_whatever_the_order_and_the_policy() -> None:
    allow = policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = policy({"Effect": "Deny", "Action": "sagemaker:DeleteEndpoint",
                   "Resource": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod*"})
    endpoint = "arn:aws:sagemaker:us-east-1:123456789012:endpoint/prod-a"
    assert decide([allow, deny], "sagemaker:DeleteEndpoint", endpoint) is EXPLICIT
    assert decide([deny, allow], "sagemaker:DeleteEndpoint", endpoint) is EXPLICIT
    assert decide([deny, allow], "sagemaker:DeleteEndpoint", endpoint.replace("prod-a", "dev")) is ALLOW
    assert decide([deny], "sagemaker:DescribeEndpoint", endpoint) is IMPLICIT
    assert decide([], "s3:GetObject") is IMPLICIT


def test_not_action() -> None:
    # "NotAction": an Allow with NotAction iam:* allows every action outside IAM, and no IAM one.
    p = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide(p, "s3:GetObject") is ALLOW
    assert decide(p, "iam:CreateUser") is IMPLICIT
    # A Deny with NotAction denies everything but the listed actions.
    guard = policy({"Effect": "Allow", "Action": "*", "Resource": "*"},
                   {"Effect": "Deny", "NotAction": ["states:Describe*", "states:List*"], "Resource": "*"})
    assert decide(guard, "states:DescribeExecution") is ALLOW
    assert decide(guard, "states:StartExecution") is EXPLICIT


def test_not_resource() -> None:
    p = policy({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::secrets/*"})
    assert decide(p, "s3:GetObject", "arn:aws:s3:::data/a") is ALLOW
    assert decide(p, "s3:GetObject", "arn:aws:s3:::secrets/a") is IMPLICIT
    deny = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                  {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]})
    assert decide(deny, "s3:PutObject", "arn:aws:s3:::data/x") is ALLOW
    assert decide(deny, "s3:PutObject", "arn:aws:s3:::other/x") is EXPLICIT


def test_wildcards_in_the_middle_of_arns() -> None:
    # "IAM JSON policy elements: Resource": amzn-s3-demo-bucket/*/test/* matches objects in
    # a test folder under any subfolder; "*" may span slashes.
    p = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"})
    assert decide(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg") is ALLOW
    assert decide(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg") is ALLOW
    assert decide(p, "s3:GetObject", "arn:aws:s3:::amzn-s3-demo-bucket/test/object.jpg") is IMPLICIT
    # "?" is one character.
    users = policy({"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::123456789012:user/Bo?"})
    assert decide(users, "iam:GetUser", "arn:aws:iam::123456789012:user/Bob") is ALLOW
    assert decide(users, "iam:GetUser", "arn:aws:iam::123456789012:user/Bobby") is IMPLICIT
    # A wildcard inside a segment does not cross into the next one...
    region = policy({"Effect": "Allow", "Action": "sagemaker:*",
                     "Resource": "arn:aws:sagemaker:us-*:123456789012:endpoint/dogs-*"})
    assert decide(region, "sagemaker:InvokeEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/dogs-x") is ALLOW
    assert decide(region, "sagemaker:InvokeEndpoint", "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/dogs-x") is IMPLICIT
    # ...except a "*" ending the last segment written, which "can expand to match beyond the
    # colon boundaries".
    account = policy({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "arn:aws:sagemaker:us-east-1:*"})
    assert decide(account, "sagemaker:InvokeEndpoint", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/a") is ALLOW
    # The resource part holds colons of its own (log streams), matched as one.
    logs = policy({"Effect": "Allow", "Action": "logs:PutLogEvents",
                   "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:*"})
    assert decide(logs, "logs:PutLogEvents",
                  "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/TrainingJobs:log-stream:j/algo-1") is ALLOW
    assert decide(logs, "logs:PutLogEvents",
                  "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/x:log-stream:y") is IMPLICIT


def test_actions_ignore_case_resources_do_not() -> None:
    p = policy({"Effect": "Allow", "Action": "SageMaker:describe*", "Resource": "arn:aws:sagemaker:*:*:endpoint/Dogs"})
    assert decide(p, "sagemaker:DescribeEndpoint", "arn:aws:sagemaker:us-east-1:1:endpoint/Dogs") is ALLOW
    assert decide(p, "sagemaker:DescribeEndpoint", "arn:aws:sagemaker:us-east-1:1:endpoint/dogs") is IMPLICIT


def test_policy_variables() -> None:
    statement = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/${aws:PrincipalTag/team}/*"}
    p = policy(statement)
    assert decide(p, "s3:PutObject", "arn:aws:s3:::data/ml/x", **{"aws:PrincipalTag/team": "ml"}) is ALLOW
    assert decide(p, "s3:PutObject", "arn:aws:s3:::data/web/x", **{"aws:PrincipalTag/team": "ml"}) is IMPLICIT
    # A variable the request lacks matches nothing; a default stands in when given.
    assert decide(p, "s3:PutObject", "arn:aws:s3:::data/ml/x") is IMPLICIT
    default = policy({**statement, "Resource": "arn:aws:s3:::data/${aws:PrincipalTag/team, 'shared'}/*"})
    assert decide(default, "s3:PutObject", "arn:aws:s3:::data/shared/x") is ALLOW
    # A value's own "*" is a character, not a wildcard; ${*} is a literal "*".
    assert decide(p, "s3:PutObject", "arn:aws:s3:::data/ml/x", **{"aws:PrincipalTag/team": "*"}) is IMPLICIT
    star = policy({**statement, "Resource": "arn:aws:s3:::data/${*}/x"})
    assert decide(star, "s3:PutObject", "arn:aws:s3:::data/*/x") is ALLOW
    assert decide(star, "s3:PutObject", "arn:aws:s3:::data/a/x") is IMPLICIT
    # Version 2008-10-17 has no variables: the text is taken as it is.
    old = policy(statement, version="2008-10-17")
    assert decide(old, "s3:PutObject", "arn:aws:s3:::data/${aws:PrincipalTag/team}/x",
                  **{"aws:PrincipalTag/team": "ml"}) is ALLOW


def test_conditions_are_anded_across_keys_and_operators() -> None:
    p = policy({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*",
                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"},
                              "Bool": {"aws:SecureTransport": "true"}}})
    assert decide(p, "iam:PassRole", **{"iam:PassedToService": "sagemaker.amazonaws.com",
                                       "aws:SecureTransport": "true"}) is ALLOW
    assert decide(p, "iam:PassRole", **{"iam:PassedToService": "sagemaker.amazonaws.com",
                                       "aws:SecureTransport": "false"}) is IMPLICIT
    assert decide(p, "iam:PassRole", **{"iam:PassedToService": "lambda.amazonaws.com",
                                       "aws:SecureTransport": "true"}) is IMPLICIT
    # Condition keys are case-insensitive.
    assert decide(p, "iam:PassRole", **{"IAM:passedtoservice": "sagemaker.amazonaws.com",
                                       "aws:securetransport": True}) is ALLOW


def test_trust_policy_principals() -> None:
    trust = policy({"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"],
                                                     "AWS": "arn:aws:iam::123456789012:role/deployer"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}}, kind=PolicyKind.TRUST)

    def who(kind: str, *names: str, **context: Any) -> Decision:
        return evaluate([trust], AccessRequest("sts:AssumeRole", None, context, PrincipalName(kind, names)))

    assert who("Service", "lambda.amazonaws.com", **{"aws:SourceAccount": "123456789012"}) is ALLOW
    assert who("Service", "lambda.amazonaws.com", **{"aws:SourceAccount": "999999999999"}) is IMPLICIT
    assert who("Service", "states.amazonaws.com", **{"aws:SourceAccount": "123456789012"}) is IMPLICIT
    assert who("AWS", "arn:aws:iam::123456789012:role/deployer", **{"aws:SourceAccount": "123456789012"}) is ALLOW
    assert who("AWS", "arn:aws:iam::123456789012:role/other", **{"aws:SourceAccount": "123456789012"}) is IMPLICIT
