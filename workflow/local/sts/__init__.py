"""The local STS service and the role sessions it issues."""
from workflow.local.sts.backend import StsBackend
from workflow.local.sts.sessions import Session, Sessions, sessions

__all__ = ["Session", "Sessions", "StsBackend", "sessions"]
