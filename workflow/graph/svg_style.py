"""Finishing touches on Graphviz's SVG that plain DOT labels cannot express: each state's
name (its label's first line) in bold, the lines under it smaller, and fonts to fall
back on where DejaVu Sans is not installed."""
from __future__ import annotations

import re

# Graphviz writes each node as <g id="..." class="node"> ... </g> with one <text> per
# label line, in order; state nodes carry ids that start with "state-" ("-" written as
# the character reference "&#45;").
_STATE = re.compile(r'(<g id="state(?:-|&#45;)[^"]*" class="node">)(.*?)(</g>\n)', re.S)
_FAMILY = 'font-family="DejaVu Sans"'
FALLBACKS = 'font-family="DejaVu Sans,Helvetica,Arial,sans-serif"'
_TEXT = re.compile(r"<text ")
_SIZE = re.compile(r'font-size="[0-9.]+"')
DETAIL_POINTS = 9.5


def _state(match: re.Match[str]) -> str:
    body = match.group(2)
    parts = _TEXT.split(body)
    if len(parts) < 2:
        return match.group(0)
    head = parts[0] + '<text font-weight="bold" ' + parts[1]
    rest = "".join("<text " + _SIZE.sub(f'font-size="{DETAIL_POINTS:.2f}"', part, count=1)
                   for part in parts[2:])
    return match.group(1) + head + rest + match.group(3)


def style_states(svg: bytes) -> bytes:
    text = _STATE.sub(_state, svg.decode("utf-8")).replace(_FAMILY, FALLBACKS)
    return text.encode("utf-8")
