"""Models, endpoint configurations and endpoints served by local worker processes."""
from workflow.local.sagemaker.hosting.part import Hosting

__all__ = ["Hosting"]
