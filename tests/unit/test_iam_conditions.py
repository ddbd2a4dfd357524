"""Each condition operator as "IAM JSON policy elements: Condition operators" defines it, with
IfExists, Null, missing keys and the set operators ("Single-valued vs. multivalued context
keys", "Multivalued context key examples"), IAM User Guide."""
from __future__ import annotations

from typing import Any

import pytest

from workflow.local.access.policy.conditions import condition_holds, context_lookup, known_operator

pytestmark = pytest.mark.unit


def holds(operator: str, key: str, values: Any, **context: Any) -> bool:
    policy_values = tuple(values) if isinstance(values, list) else (values,)
    return condition_holds(operator, key, policy_values, context_lookup(context))


def test_string_operators() -> None:
    assert holds("StringEquals", "s3:prefix", "dogs/", **{"s3:prefix": "dogs/"})
    assert not holds("StringEquals", "s3:prefix", "Dogs/", **{"s3:prefix": "dogs/"})  # case-sensitive
    assert holds("StringEqualsIgnoreCase", "s3:prefix", "Dogs/", **{"s3:prefix": "dogs/"})
    # Several policy values are ORed; a negated operator must match none of them.
    assert holds("StringEquals", "k", ["a", "b"], k="b")
    assert holds("StringNotEquals", "k", ["a", "b"], k="c")
    assert not holds("StringNotEquals", "k", ["a", "b"], k="a")
    assert not holds("StringNotEqualsIgnoreCase", "k", ["A"], k="a")
    # StringLike: * and ? over the whole value.
    assert holds("StringLike", "s3:prefix", ["dog-breed/*"], **{"s3:prefix": "dog-breed/data/x"})
    assert not holds("StringLike", "s3:prefix", ["dog-breed/*"], **{"s3:prefix": "other/dog-breed/x"})
    assert holds("StringLike", "k", "ab?d", k="abcd")
    assert not holds("StringLike", "k", "ab?d", k="abccd")
    assert holds("StringNotLike", "k", "a*", k="b")
    assert not holds("StringNotLike", "k", "a*", k="abc")


def test_a_missing_key_fails_positive_operators_and_passes_negated_ones() -> None:
    for operator in ("StringEquals", "StringLike", "ArnLike", "ArnEquals", "Bool", "NumericEquals",
                     "DateGreaterThan", "IpAddress"):
        assert not holds(operator, "aws:SourceArn", "x"), operator
    for operator in ("StringNotEquals", "StringNotLike", "ArnNotLike", "ArnNotEquals", "NumericNotEquals",
                     "DateNotEquals", "NotIpAddress"):
        assert holds(operator, "aws:SourceArn", "x"), operator


def test_if_exists() -> None:
    # "...IfExists": true when the key is absent, the base operator when it is present.
    assert holds("StringEqualsIfExists", "ec2:InstanceType", "t3.micro")
    assert holds("StringEqualsIfExists", "ec2:InstanceType", "t3.micro", **{"ec2:InstanceType": "t3.micro"})
    assert not holds("StringEqualsIfExists", "ec2:InstanceType", "t3.micro", **{"ec2:InstanceType": "m5.large"})
    assert holds("ArnLikeIfExists", "aws:SourceArn", "arn:aws:states:*")
    assert not holds("ArnLikeIfExists", "aws:SourceArn", "arn:aws:states:*",
                     **{"aws:SourceArn": "arn:aws:lambda:us-east-1:1:function:f"})


def test_null() -> None:
    assert holds("Null", "aws:TokenIssueTime", "true")
    assert not holds("Null", "aws:TokenIssueTime", "true", **{"aws:TokenIssueTime": "2026-01-01T00:00:00Z"})
    assert holds("Null", "aws:TokenIssueTime", "false", **{"aws:TokenIssueTime": "2026-01-01T00:00:00Z"})
    assert not holds("Null", "aws:TokenIssueTime", "false")
    assert holds("Null", "aws:TagKeys", "true", **{"aws:TagKeys": []})  # an empty set is null


def test_arn_operators() -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:dog-breed-pipeline"
    assert holds("ArnEquals", "aws:SourceArn", arn, **{"aws:SourceArn": arn})
    assert holds("ArnLike", "aws:SourceArn", "arn:aws:states:*:123456789012:stateMachine:dog-*",
                 **{"aws:SourceArn": arn})
    assert not holds("ArnLike", "aws:SourceArn", "arn:aws:states:*:999999999999:*", **{"aws:SourceArn": arn})
    assert holds("ArnNotLike", "aws:SourceArn", "arn:aws:lambda:*", **{"aws:SourceArn": arn})
    assert not holds("ArnNotEquals", "aws:SourceArn", arn, **{"aws:SourceArn": arn})


def test_bool_numeric_date_ip() -> None:
    assert holds("Bool", "aws:SecureTransport", "true", **{"aws:SecureTransport": "true"})
    assert holds("Bool", "aws:SecureTransport", "false", **{"aws:SecureTransport": False})
    assert not holds("Bool", "aws:SecureTransport", "true", **{"aws:SecureTransport": "false"})
    assert holds("NumericLessThanEquals", "s3:max-keys", "10", **{"s3:max-keys": "10"})
    assert not holds("NumericLessThan", "s3:max-keys", "10", **{"s3:max-keys": 10})
    assert holds("NumericGreaterThan", "k", "1.5", k="2")
    assert holds("NumericGreaterThanEquals", "k", "2", k=2)
    assert holds("NumericNotEquals", "k", "2", k="3")
    assert not holds("NumericEquals", "k", "2", k="two")  # a value that is no number matches nothing
    assert holds("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z", **{"aws:CurrentTime": "2026-06-01T00:00:00Z"})
    assert holds("DateGreaterThanEquals", "aws:EpochTime", "2026-01-01T00:00:00Z", **{"aws:EpochTime": "1800000000"})
    assert not holds("DateEquals", "aws:CurrentTime", "2026-01-01T00:00:00Z", **{"aws:CurrentTime": "2026-01-02T00:00:00Z"})
    assert holds("IpAddress", "aws:SourceIp", "127.0.0.0/8", **{"aws:SourceIp": "127.0.0.1"})
    assert holds("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", **{"aws:SourceIp": "127.0.0.1"})


def test_for_any_value() -> None:
    # True when at least one request value matches; false for a missing key or an empty set.
    assert holds("ForAnyValue:StringEquals", "aws:TagKeys", ["environment", "webserver"],
                 **{"aws:TagKeys": ["owner", "environment"]})
    assert not holds("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], **{"aws:TagKeys": ["owner"]})
    assert not holds("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"])
    assert not holds("ForAnyValue:StringEquals", "aws:TagKeys", ["environment"], **{"aws:TagKeys": []})
    assert holds("ForAnyValue:StringNotEquals", "aws:TagKeys", ["owner"], **{"aws:TagKeys": ["owner", "cost"]})


def test_for_all_values() -> None:
    # Every request value must match one policy value; "also returns true if there are no
    # context keys in the request, or if the context key value resolves to a null dataset".
    assert holds("ForAllValues:StringLike", "aws:TagKeys", ["key1*", "key2*"], **{"aws:TagKeys": ["key1a", "key2b"]})
    assert not holds("ForAllValues:StringLike", "aws:TagKeys", ["key1*"], **{"aws:TagKeys": ["key1a", "key3"]})
    assert holds("ForAllValues:StringLike", "aws:TagKeys", ["key1*"])
    assert holds("ForAllValues:StringLike", "aws:TagKeys", ["key1*"], **{"aws:TagKeys": []})
    assert holds("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], **{"aws:TagKeys": ["a", "b"]})
    assert not holds("ForAllValues:StringNotEquals", "aws:TagKeys", ["secret"], **{"aws:TagKeys": ["a", "secret"]})


def test_null_guard_with_for_all_values_as_documented() -> None:
    # "Multivalued context key examples": Deny tagging unless every tag key has an allowed
    # prefix; the Null check keeps a request without tags from matching.
    def deny_applies(**context: Any) -> bool:
        return (holds("Null", "aws:TagKeys", "false", **context)
                and holds("ForAllValues:StringLike", "aws:TagKeys", ["key1*", "key2*", "key3*"], **context))

    assert deny_applies(**{"aws:TagKeys": ["key1x", "key3y"]})
    assert not deny_applies(**{"aws:TagKeys": ["key1x", "other"]})
    assert not deny_applies()


def test_variables_in_condition_values() -> None:
    assert holds("StringEquals", "s3:prefix", "home/${aws:userid}/", **{"aws:userid": "AROAX:s", "s3:prefix": "home/AROAX:s/"})
    assert not holds("StringEquals", "s3:prefix", "home/${aws:userid}/", **{"s3:prefix": "home//"})


def test_known_operators() -> None:
    for operator in ("StringEquals", "ForAllValues:StringLikeIfExists", "ArnNotLikeIfExists", "Null", "Bool",
                     "ForAnyValue:StringEquals", "NumericLessThanEqualsIfExists", "DateGreaterThan", "BinaryEquals"):
        assert known_operator(operator), operator
    for operator in ("StringEqualz", "NullIfExists", "ForSomeValues:StringEquals", "IfExists"):
        assert not known_operator(operator), operator
