"""Local services reach each other only through each other's ``facade`` module.

A service package may import another service's ``facade`` and nothing else of it, may not
look a backend up by name outside its own facade, may not read another service's store
records by their kind, may not pick another backend's parts, and may not call a backend's
``handle`` (which skips the protocol layer's validation). ``reach_throughs`` finds every
break of these rules; the tree has none.
"""
from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from workflow.local.services import BACKENDS

LOCAL = Path(__file__).resolve().parents[2] / "workflow" / "local"

def _service_names() -> dict[str, str]:
    """Service package -> the botocore name of the service it serves."""
    names = {}
    for spec in BACKENDS:
        module, _, cls = spec.partition(":")
        names[module.split(".")[2]] = getattr(importlib.import_module(module), cls).service
    return names


#: The service packages: the first package below workflow.local of each backend.
SERVICE_NAMES = _service_names()
SERVICES = sorted(SERVICE_NAMES)
#: Packages of the server that are no service but call services (identity and access, the
#: console): they too use facades only.
CLIENTS = ["access", "console"]
#: The protocol layer's gate reads whether a backend authorizes its own calls (a class flag).
ALLOWED = {("workflow/local/access/gate.py", "looks a backend up (.backends)")}
#: Store kinds are ``<prefix>.<name>``; the prefix says whose records they are.
KIND_OWNERS = {"sagemaker": "sagemaker", "sfn": "stepfunctions", "scheduler": "scheduler",
               "autoscaling": "autoscaling", "iam": "iam", "sts": "sts", "lambda": "lambda_",
               "s3": "s3", "cloudwatch": "cloudwatch"}
_KIND = re.compile(r"^(?P<prefix>[a-z0-9]+)\.[a-z][a-z_-]*$")


@dataclass(frozen=True)
class ReachThrough:
    path: str
    line: int
    what: str


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    # ``from workflow.local.x import facade`` imports the module workflow.local.x.facade.
    return sorted({f"{base}.{alias.name}" if alias.name == "facade" else base for alias in node.names})


def check_module(source: str, where: str, service: str) -> list[ReachThrough]:
    """The reach-throughs in one module (``where``, its path) of the package ``service``."""
    tree = ast.parse(source)
    is_facade = where.endswith("/facade.py")
    found: list[ReachThrough] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for module in _imported(node):
                parts = module.split(".")
                if (len(parts) >= 3 and parts[:2] == ["workflow", "local"] and parts[2] in SERVICES
                        and parts[2] != service and parts[3:] != ["facade"]):
                    found.append(ReachThrough(where, node.lineno, f"imports {module}"))
        elif isinstance(node, ast.Attribute) and node.attr == "backends" and not is_facade:
            found.append(ReachThrough(where, node.lineno, "looks a backend up (.backends)"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            named = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            if node.func.attr == "backend" and not is_facade and named != SERVICE_NAMES.get(service):
                found.append(ReachThrough(where, node.lineno, f"looks a backend up (.backend({named!r}))"))
            if node.func.attr == "part" and service != "sagemaker":
                found.append(ReachThrough(where, node.lineno, "picks a part of another backend"))
            if node.func.attr == "handle" and named is not None:
                found.append(ReachThrough(where, node.lineno, f"calls handle({named!r})"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            kind = _KIND.match(node.value)
            owner = KIND_OWNERS.get(kind["prefix"]) if kind else None
            if owner is not None and owner != service:
                found.append(ReachThrough(where, node.lineno, f"names {owner}'s store kind {node.value!r}"))
    return found


def reach_throughs() -> list[ReachThrough]:
    """Every place one local service reaches another other than through its facade."""
    found: list[ReachThrough] = []
    for service in SERVICES + CLIENTS:
        for path in sorted((LOCAL / service).rglob("*.py")):
            where = str(path.relative_to(LOCAL.parents[1]))
            found.extend(r for r in check_module(path.read_text(), where, service)
                         if (r.path, r.what) not in ALLOWED)
    return found


def test_the_service_packages_are_the_served_backends() -> None:
    assert {"sagemaker", "sagemaker_runtime", "autoscaling", "cloudwatch", "stepfunctions", "s3",
            "scheduler", "iam", "sts", "lambda_"} <= set(SERVICES)


def test_no_service_reaches_into_another() -> None:
    assert [f"{r.path}:{r.line}: {r.what}" for r in reach_throughs()] == []


@pytest.mark.parametrize(("source", "what"), [
    ("from workflow.local.sagemaker.hosting import Hosting\n", "imports workflow.local.sagemaker.hosting"),
    ("def f(ctx):\n    return ctx.backend('sagemaker')\n", "looks a backend up (.backend('sagemaker'))"),
    ("def f(ctx):\n    return ctx.backends.get('sagemaker')\n", "looks a backend up (.backends)"),
    ("def f(ctx):\n    return ctx.store.get('sagemaker.endpoint', 'e')\n",
     "names sagemaker's store kind 'sagemaker.endpoint'"),
    ("def f(b):\n    return b.handle('UpdateEndpoint', {})\n", "calls handle('UpdateEndpoint')"),
    ("def f(b, cls):\n    return b.part(cls).live('e')\n", "picks a part of another backend"),
])
def test_each_kind_of_reach_through_is_found(source: str, what: str) -> None:
    found = check_module(source, "workflow/local/autoscaling/probe.py", "autoscaling")
    assert [r.what for r in found] == [what]


def test_a_facade_is_what_other_services_may_use() -> None:
    source = ("from workflow.local.sagemaker.facade import sagemaker\n"
              "from workflow.local.sagemaker_runtime import facade\n")
    assert check_module(source, "workflow/local/autoscaling/probe.py", "autoscaling") == []
    looked_up = "def f(ctx):\n    return ctx.backends.get('sagemaker')\n"
    assert check_module(looked_up, "workflow/local/sagemaker/facade.py", "sagemaker") == []
