"""Reading a JSON-lines file that another process may still be writing (metrics, profiler
samples, the steps a script times)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """Every object in ``path``, in order; [] when there is no file. A line that does not
    parse is the one being written right now, and is skipped."""
    if not path.exists():
        return []
    objects = []
    for line in path.read_text().splitlines():
        try:
            objects.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return objects
