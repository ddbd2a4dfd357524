"""PNG from the SVG, with resvg (``resvg-py``, a pip wheel): no Graphviz cairo, no system
library. Text is set in DejaVu Sans, from the system's fonts or the copy matplotlib ships."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import resvg_py

#: Graphviz sizes its pictures in points; PNG pixels are at 96 per inch.
_PX_PER_PT = 96 / 72
_ROOT_SIZE = re.compile(r'<svg width="([0-9.]+)pt" height="([0-9.]+)pt"')
_FAMILY = "DejaVu Sans"


def _bundled_fonts() -> list[str]:
    """matplotlib's DejaVu Sans (regular and bold), found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    for location in (spec.submodule_search_locations or []) if spec else []:
        fonts = [Path(location) / "mpl-data" / "fonts" / "ttf" / name
                 for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]
        if all(f.is_file() for f in fonts):
            return [str(f) for f in fonts]
    return []


def _in_pixels(svg: str, scale: float) -> str:
    """resvg-py reads no ``pt`` sizes on the root element: give them in pixels."""
    def pixels(match: re.Match[str]) -> str:
        width, height = (float(v) * _PX_PER_PT * scale for v in match.groups())
        return f'<svg width="{width:.0f}" height="{height:.0f}"'

    return _ROOT_SIZE.sub(pixels, svg, count=1)


def png_from_svg(svg: bytes, scale: float = 1.0) -> bytes:
    # Graphviz writes the generic family as "sans-Serif"; resvg matches generic names
    # exactly, so it would find no font and draw no text.
    text = _in_pixels(svg.decode("utf-8"), scale).replace("sans-Serif", "sans-serif")
    bundled = _bundled_fonts()
    # With the two font files at hand, scanning every system font (a second) is not needed.
    return bytes(resvg_py.svg_to_bytes(svg_string=text, font_files=bundled or None,
                                       skip_system_fonts=bool(bundled), sans_serif_family=_FAMILY,
                                       font_family=_FAMILY, background="white"))
