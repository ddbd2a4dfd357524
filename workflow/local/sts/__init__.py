"""The local STS service and the role sessions it issues (others reach it through ``facade``)."""
from workflow.local.sts.backend import StsBackend
from workflow.local.sts.sessions import Session, Sessions

__all__ = ["Session", "Sessions", "StsBackend"]
