"""Policy documents IAM refuses, with IAM's MalformedPolicyDocument messages."""
from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.local.access.policy import MalformedPolicy, PolicyKind, parse_policy

pytestmark = pytest.mark.unit

ALLOW_ANY = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
TRUST = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}


def refused(document: Any, kind: PolicyKind = PolicyKind.IDENTITY) -> str:
    text = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(MalformedPolicy) as caught:
        parse_policy(text, kind)
    return str(caught.value)


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def test_identity_policies() -> None:
    assert refused("{not json") == "This policy contains invalid Json"
    assert refused({"Version": "2012-10-17"}) == "Syntax errors in policy."
    assert refused({"Version": "2020-01-01", "Statement": [ALLOW_ANY]}) == "The policy failed legacy parsing"
    assert refused(doc({**ALLOW_ANY, "Extra": 1})) == "Syntax errors in policy."
    assert refused(doc({"Effect": "Allow", "Action": "s3:GetObject"})) == "Policy statement must contain resources."
    assert refused(doc({"Effect": "Allow", "Resource": "*"})) == "Policy statement must contain actions."
    assert refused(doc({**ALLOW_ANY, "NotAction": "s3:*"})) == "Policy statement must contain actions."
    assert refused(doc({**ALLOW_ANY, "Effect": "Alow"})) == "Invalid effect: Alow"
    assert refused(doc({**ALLOW_ANY, "Action": "GetObject"})).startswith("Actions/Conditions must be prefaced")
    assert refused(doc({**ALLOW_ANY, "Resource": "bucket/key"})) == 'Resource bucket/key must be in ARN format or "*".'
    assert refused(doc({**ALLOW_ANY, "Principal": "*"})) == "Policy document should not specify a principal."
    assert refused(doc({**ALLOW_ANY, "Condition": {"StringEqualz": {"k": "v"}}})) == \
        "Invalid Condition type : StringEqualz"
    assert refused(doc({**ALLOW_ANY, "Sid": "not alnum!"})).startswith("Statement IDs (SID) must be alpha-numeric")


def test_trust_policies() -> None:
    assert refused(doc({**TRUST, "Resource": "*"}), PolicyKind.TRUST) == "Has prohibited field Resource"
    assert refused(doc({**TRUST, "Action": "s3:GetObject"}), PolicyKind.TRUST) == \
        "AssumeRole policy may only specify STS AssumeRole actions."
    assert refused(doc({"Effect": "Allow", "Action": "sts:AssumeRole"}), PolicyKind.TRUST) == \
        "Missing required field Principal"
    assert refused(doc({**TRUST, "Principal": {"Robot": "x"}}), PolicyKind.TRUST).startswith("Invalid principal")


def test_accepted_forms() -> None:
    one = parse_policy(json.dumps({"Statement": ALLOW_ANY}), PolicyKind.IDENTITY)  # a single statement object
    assert one.version == "2008-10-17" and len(one.statements) == 1
    trust = parse_policy(json.dumps(doc({**TRUST, "Action": ["sts:AssumeRole", "sts:TagSession"],
                                         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}}})),
                         PolicyKind.TRUST)
    statement = trust.statements[0]
    assert statement.principals is not None and statement.principals.by_kind == (("Service", ("lambda.amazonaws.com",)),)
    assert statement.conditions[0].values == ("123456789012",)
