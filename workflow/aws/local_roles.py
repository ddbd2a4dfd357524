"""The stack's IAM roles, as the local server's IAM API creates them: one source of truth.

``local_roles`` takes the rendered CloudFormation template and resolves each
``AWS::IAM::Role`` the way CloudFormation would for one account, region and set of
parameter values: ``Ref``, ``Fn::GetAtt ... Arn``, ``Fn::Sub``, ``Fn::Join`` and
``Fn::If`` on the template's conditions, with ``AWS::NoValue`` dropped. CloudFormation names
a role ``STACK-LogicalId-RANDOM``; locally a role is named ``STACK-LogicalId`` (IAM's
64-character limit kept), and every ARN in the policies that names one of the stack's
resources names it as the local server knows it. ``apply_roles`` then creates or updates
each role and its inline policies through IAM's API.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from workflow.aws.iam import Json

_NO_VALUE = object()
_NOT_A_FUNCTION = object()
_SUB = re.compile(r"\$\{([^}!][^}]*)\}")
#: IAM: "Role names ... maximum 64 characters".
ROLE_NAME_LIMIT = 64


@dataclass(frozen=True)
class RoleDefinition:
    logical_id: str
    name: str
    description: str
    #: The AssumeRolePolicyDocument, as JSON text.
    trust_policy: str
    #: Inline policies: name -> document as JSON text.
    policies: dict[str, str]


class _Resolver:
    def __init__(self, template: Json, *, account: str, region: str, partition: str,
                 parameters: Mapping[str, str], role_name: Callable[[str], str]) -> None:
        self.resources: Json = template["Resources"]
        self.conditions: Json = template.get("Conditions", {})
        self.pseudo = {"AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": partition,
                       "AWS::URLSuffix": "amazonaws.com"}
        self.parameters: dict[str, Any] = {}
        for name, spec in template.get("Parameters", {}).items():
            value = parameters.get(name, spec.get("Default", ""))
            text = str(value)
            self.parameters[name] = (text.split(",") if text else []) if spec.get("Type") == "CommaDelimitedList" \
                else text
        self.role_name = role_name

    def arn(self, logical_id: str) -> str:
        """``Fn::GetAtt [logical_id, Arn]`` for the kinds of resource the roles name."""
        resource = self.resources[logical_id]
        kind, props = resource["Type"], resource.get("Properties", {})
        account, region, partition = (self.pseudo[k] for k in ("AWS::AccountId", "AWS::Region", "AWS::Partition"))
        if kind == "AWS::IAM::Role":
            return f"arn:{partition}:iam::{account}:role/{self.role_name(logical_id)}"
        if kind == "AWS::Lambda::Function":
            return f"arn:{partition}:lambda:{region}:{account}:function:{props['FunctionName']}"
        if kind == "AWS::Logs::LogGroup":  # a log group's Arn attribute ends in ":*"
            return f"arn:{partition}:logs:{region}:{account}:log-group:{props['LogGroupName']}:*"
        if kind == "AWS::StepFunctions::StateMachine":
            return f"arn:{partition}:states:{region}:{account}:stateMachine:{props['StateMachineName']}"
        raise ValueError(f"no ARN is known for {logical_id} ({kind})")

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        kind = self.resources[name]["Type"]
        if kind == "AWS::StepFunctions::StateMachine":  # Ref of a state machine is its ARN
            return self.arn(name)
        if kind == "AWS::IAM::Role":
            return self.role_name(name)
        raise ValueError(f"Ref {name} ({kind}) is not resolved locally")

    def condition(self, name: str) -> bool:
        return bool(self.value(self.conditions[name]))

    def sub(self, text: str, variables: Mapping[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            key = match.group(1)
            if key in variables:
                return str(self.value(variables[key]))
            if key.endswith(".Arn"):
                return self.arn(key[: -len(".Arn")])
            return str(self.ref(key))
        return _SUB.sub(replace, text).replace("${!", "${")

    def value(self, node: Any) -> Any:
        if isinstance(node, list):
            return [v for v in (self.value(item) for item in node) if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (key, arg), = node.items()
            resolved = self.function(key, arg)
            if resolved is not _NOT_A_FUNCTION:
                return resolved
        out = {}
        for key, item in node.items():
            resolved = self.value(item)
            if resolved is not _NO_VALUE:
                out[key] = resolved
        return out

    def function(self, key: str, arg: Any) -> Any:
        """The value of an intrinsic function ``{key: arg}``; _NOT_A_FUNCTION when ``key`` names none."""
        if key == "Ref":
            return self.ref(arg)
        if key == "Fn::GetAtt":
            if arg[1] != "Arn":
                raise ValueError(f"Fn::GetAtt {arg} is not resolved locally")
            return self.arn(arg[0])
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else arg
            return self.sub(text, variables)
        if key == "Fn::Join":
            return arg[0].join(str(v) for v in self.value(arg[1]))
        if key == "Fn::If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        if key == "Fn::Equals":
            return self.value(arg[0]) == self.value(arg[1])
        if key == "Fn::Not":
            return not self.value(arg[0])
        if key == "Fn::And":
            return all(self.value(a) for a in arg)
        if key == "Fn::Or":
            return any(self.value(a) for a in arg)
        if key == "Condition":
            return self.condition(arg)
        return _NOT_A_FUNCTION


def default_role_name(stack_name: str) -> Callable[[str], str]:
    return lambda logical_id: f"{stack_name}-{logical_id}"[:ROLE_NAME_LIMIT]


def local_roles(template: Json, *, stack_name: str, account: str, region: str, partition: str = "aws",
                parameters: Mapping[str, str] | None = None,
                role_name: Callable[[str], str] | None = None) -> list[RoleDefinition]:
    """Every role of ``template``, resolved for ``account``/``region`` and ``parameters`` (the
    stack's parameter values, defaults otherwise)."""
    resolver = _Resolver(template, account=account, region=region, partition=partition,
                         parameters=parameters or {}, role_name=role_name or default_role_name(stack_name))
    out = []
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        props = resolver.value(resource["Properties"])
        out.append(RoleDefinition(
            logical_id, resolver.role_name(logical_id), props.get("Description", ""),
            json.dumps(props["AssumeRolePolicyDocument"]),
            {p["PolicyName"]: json.dumps(p["PolicyDocument"]) for p in props.get("Policies", [])}))
    return out


def _where(function: Callable[..., Any]) -> str:
    return f"{function.__module__.replace('.', '/')}.py ({function.__qualname__})"


def policy_source(logical_id: str) -> str:
    """Where the inline policy of the stack's role ``logical_id`` is written in ``workflow/aws/``
    (file and function), for a person reading an AccessDenied."""
    from workflow.aws import iam_sagemaker, iam_state_machine, lambdas, schedule

    if logical_id == "StateMachineRole":
        return _where(iam_state_machine.statements)
    if logical_id == "SageMakerExecutionRole":
        return _where(iam_sagemaker.statements)
    if logical_id == "SchedulerRole":
        return _where(schedule.resources)
    if logical_id in {f"{lid}Role" for lid, *_ in lambdas.FUNCTIONS.values()}:
        return _where(lambdas.own_statements)
    raise KeyError(f"{logical_id} is not a role of the stack")


def apply_roles(iam: Any, roles: list[RoleDefinition]) -> None:
    """Create or update each role and its inline policies with ``iam`` (a boto3 IAM client);
    inline policies a role no longer has are deleted."""
    for role in roles:
        try:
            iam.create_role(RoleName=role.name, AssumeRolePolicyDocument=role.trust_policy,
                            Description=role.description)
        except iam.exceptions.EntityAlreadyExistsException:
            iam.update_assume_role_policy(RoleName=role.name, PolicyDocument=role.trust_policy)
            iam.update_role(RoleName=role.name, Description=role.description)
        existing = {name for page in iam.get_paginator("list_role_policies").paginate(RoleName=role.name)
                    for name in page["PolicyNames"]}
        for name, document in role.policies.items():
            iam.put_role_policy(RoleName=role.name, PolicyName=name, PolicyDocument=document)
        for stale in sorted(existing - set(role.policies)):
            iam.delete_role_policy(RoleName=role.name, PolicyName=stale)
