"""IAM's policy language: documents, wildcard matching, condition operators, evaluation."""
from workflow.local.access.policy.document import (
    Effect,
    MalformedPolicy,
    Policy,
    PolicyKind,
    Statement,
    parse_policy,
)
from workflow.local.access.policy.evaluation import AccessRequest, Decision, PolicySet, PrincipalName, evaluate

__all__ = ["AccessRequest", "Decision", "Effect", "MalformedPolicy", "Policy", "PolicyKind", "PolicySet",
           "PrincipalName", "Statement", "evaluate", "parse_policy"]
