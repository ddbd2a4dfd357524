"""The local IAM service (roles and inline policies) and the interface other services read it by."""
from workflow.local.iam.backend import IamBackend
from workflow.local.iam.facade import RoleDirectory, roles

__all__ = ["IamBackend", "RoleDirectory", "roles"]
