"""Pictures of a state graph: DOT and Mermaid text, SVG and PNG through Graphviz's ``dot``."""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workflow.graph.dot import to_dot
from workflow.graph.mermaid import to_mermaid
from workflow.graph.model import build_graph
from workflow.graph.status import execution_status

#: Output file suffix -> format.
FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid"}
DOT_TIMEOUT_S = 60


class GraphvizMissing(RuntimeError):
    """Graphviz's ``dot`` program is not on PATH."""


def render(dot_text: str, fmt: str) -> bytes:
    """``dot_text`` laid out by Graphviz as ``fmt`` (svg or png)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizMissing(
            "SVG and PNG need Graphviz's 'dot' program, which is not installed "
            "(apt-get install graphviz, or brew install graphviz); .dot and .mmd output work without it"
        )
    done = subprocess.run([program, f"-T{fmt}"], input=dot_text.encode(), capture_output=True,
                          timeout=DOT_TIMEOUT_S, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"dot -T{fmt} failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def format_of(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out {path}: unknown picture type {suffix or '(none)'}; "
                         f"use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[suffix]


def draw(definition: dict[str, Any], fmt: str, events: Iterable[dict[str, Any]] | None = None,
         title: str = "") -> bytes:
    """The definition (coloured by ``events``, a GetExecutionHistory list) as ``fmt``."""
    graph = build_graph(definition)
    status = execution_status(events) if events is not None else None
    if fmt == "mermaid":
        return to_mermaid(graph, status, title).encode()
    text = to_dot(graph, status, title)
    return text.encode() if fmt == "dot" else render(text, fmt)


def render_file(definition: dict[str, Any], out: Path | str,
                events: Iterable[dict[str, Any]] | None = None, title: str = "") -> Path:
    """Write the picture whose type the suffix of ``out`` names."""
    out = Path(out)
    data = draw(definition, format_of(out), events, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
