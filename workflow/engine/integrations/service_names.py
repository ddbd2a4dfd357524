"""Step Functions' names for AWS services (``aws-sdk:<name>``) mapped onto botocore's.

Step Functions spells a service as botocore's service id lower-cased without spaces or
dashes (``applicationautoscaling``, ``sfn``, ``acmpca``), so the table is derived from the
service models botocore ships instead of being written by hand.
"""
from __future__ import annotations

import threading
from functools import lru_cache

import botocore.session
from botocore.model import ServiceModel

_lock = threading.Lock()


@lru_cache(maxsize=1)
def botocore_session() -> botocore.session.Session:
    """The process's botocore session: its loader keeps every model it has read (anything
    else in the process that reads botocore's models should share it)."""
    return botocore.session.get_session()


def _squash(text: str) -> str:
    return text.replace(" ", "").replace("-", "").lower()


def _subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(char in letters for char in short)


@lru_cache(maxsize=256)
def boto3_service_name(sfn_name: str) -> str | None:
    """The boto3 client name for a Step Functions service name, or None if unknown."""
    session = botocore_session()
    available: list[str] = session.get_available_services()
    wanted = _squash(sfn_name)
    # Most names differ from boto3's only by dashes: try those without loading any model.
    for name in available:
        if _squash(name) == wanted:
            return name
    with _lock:
        loader = session.get_component("data_loader")
        # Loading a model costs milliseconds and there are hundreds: look first at the
        # services whose name contains the wanted letters in order (sfn -> stepfunctions).
        for name in sorted(available, key=lambda candidate: not _subsequence(wanted, _squash(candidate))):
            model = loader.load_service_model(name, "service-2")
            metadata = model.get("metadata", {})
            for label in (metadata.get("serviceId", ""), metadata.get("endpointPrefix", ""),
                          metadata.get("signingName", "")):
                if label and _squash(label) == wanted:
                    return name
    return None


@lru_cache(maxsize=256)
def service_model(boto3_name: str) -> ServiceModel:
    return botocore_session().get_service_model(boto3_name)


def error_prefix(boto3_name: str) -> str:
    """PascalCase service name used before the dot of SDK error names (e.g. ``AcmPca``)."""
    service_id = service_model(boto3_name).metadata.get("serviceId", boto3_name)
    words = service_id.replace("-", " ").split()
    return "".join(word.capitalize() if word.isupper() or word.islower() else word for word in words)


@lru_cache(maxsize=256)
def modeled_errors(boto3_name: str) -> frozenset[str]:
    """Error codes the service model declares (their shape name or their wire code)."""
    model = service_model(boto3_name)
    codes: set[str] = set()
    for name in model.shape_names:
        shape = model.shape_for(name)
        if shape.metadata.get("exception"):
            codes.add(name)
            code = shape.metadata.get("error", {}).get("code")
            if code:
                codes.add(code)
    return frozenset(codes)
