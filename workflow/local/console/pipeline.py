"""What the start page needs to know about the pipeline: its input schema and a valid default."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflow.definition import DEFINITION_FILE, INPUT_SCHEMA_FILE


def pipeline_document(data_dir: Path | None) -> dict[str, Any]:
    """The schema, a default input, and the state names that identify the pipeline's definition."""
    states = sorted(json.loads(DEFINITION_FILE.read_text(encoding="utf-8"))["States"])
    schema = json.loads(INPUT_SCHEMA_FILE.read_text(encoding="utf-8"))
    try:
        from workflow.pipeline.defaults import INCOMING_PREFIX, default_input

        default = default_input(f"{INCOMING_PREFIX}/dogImages.zip")
    except ImportError:  # the pipeline defaults are optional for a bare server
        default = {}
    return {"schema": schema, "default_input": default, "state_names": states,
            "schema_file": INPUT_SCHEMA_FILE.name}
