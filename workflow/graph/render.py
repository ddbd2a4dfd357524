"""Pictures of a state graph: DOT and Mermaid text; SVG from a Graphviz engine (native
``dot`` when installed, else the pip-installed WebAssembly build); PNG from that SVG."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from workflow.graph.catches import COLLAPSED, collapse_shared_catches
from workflow.graph.dot import to_dot
from workflow.graph.engines import layout_engine
from workflow.graph.mermaid import to_mermaid
from workflow.graph.model import build_graph
from workflow.graph.raster import png_from_svg
from workflow.graph.status import execution_status
from workflow.graph.svg_style import style_states

#: Output file suffix -> format.
FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid"}


def render(dot_text: str, fmt: str, engine: str | None = None) -> bytes:
    """``dot_text`` laid out by Graphviz as ``fmt`` (svg or png); ``engine`` is native,
    wasm or (None) whichever is available, native first."""
    svg = style_states(layout_engine(engine).svg(dot_text))
    if fmt == "svg":
        return svg
    if fmt == "png":
        return png_from_svg(svg, scale=1.5)
    raise ValueError(f"unknown picture format {fmt!r}")


def format_of(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out {path}: unknown picture type {suffix or '(none)'}; "
                         f"use one of {', '.join(sorted(FORMATS))}")
    return FORMATS[suffix]


def draw(definition: dict[str, Any], fmt: str, events: Iterable[dict[str, Any]] | None = None,
         title: str = "", catch_edges: str = COLLAPSED) -> bytes:
    """The definition (coloured by ``events``, a GetExecutionHistory list) as ``fmt``."""
    graph = collapse_shared_catches(build_graph(definition), catch_edges)
    status = execution_status(events) if events is not None else None
    if fmt == "mermaid":
        return to_mermaid(graph, status, title).encode()
    text = to_dot(graph, status, title)
    return text.encode() if fmt == "dot" else render(text, fmt)


def render_file(definition: dict[str, Any], out: Path | str,
                events: Iterable[dict[str, Any]] | None = None, title: str = "",
                catch_edges: str = COLLAPSED) -> Path:
    """Write the picture whose type the suffix of ``out`` names."""
    out = Path(out)
    data = draw(definition, format_of(out), events, title, catch_edges)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    return out
