"""MetricDefinitions: regexes over the training log whose first group is the value."""
from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

from workflow.local.errors import ValidationException
from workflow.local.sagemaker.json_lines import read_json_lines
from workflow.local.sagemaker.records import MetricData


def compile_definitions(definitions: list[dict[str, str]], field: str) -> list[tuple[str, re.Pattern]]:
    compiled = []
    for i, definition in enumerate(definitions):
        try:
            compiled.append((definition["Name"], re.compile(definition["Regex"])))
        except re.error as err:
            raise ValidationException(
                f"{field}.{i + 1}.Regex: {definition['Regex']!r} is not a valid regex: {err}"
            ) from err
    return compiled


class MetricParser:
    """Matches each log line against the definitions and keeps every value seen."""

    def __init__(self, definitions: list[dict[str, str]], sink: Path | None = None) -> None:
        self.patterns = compile_definitions(definitions, "AlgorithmSpecification.MetricDefinitions")
        self.sink = sink
        self.latest: dict[str, tuple[float, datetime]] = {}

    def feed(self, line: str, when: datetime) -> list[tuple[str, float]]:
        found = []
        for name, pattern in self.patterns:
            match = pattern.search(line)
            if not match:
                continue
            text = match.group(1) if pattern.groups else match.group(0)
            try:
                value = float(text)
            except (TypeError, ValueError):
                continue
            if math.isnan(value) or math.isinf(value):
                continue
            self.latest[name] = (value, when)
            found.append((name, value))
        if found and self.sink is not None:
            with self.sink.open("a") as out:
                for name, value in found:
                    out.write(json.dumps({"name": name, "value": value, "time": when.isoformat()}) + "\n")
        return found

    def final(self) -> list[MetricData]:
        """FinalMetricDataList: the last value of each metric, in definition order."""
        names = [name for name, _ in self.patterns]
        return [
            MetricData(MetricName=name, Value=self.latest[name][0], Timestamp=self.latest[name][1])
            for name in dict.fromkeys(names) if name in self.latest
        ]


def read_series(path: Path) -> dict[str, list[float]]:
    """Every value each metric took, in log order (for early stopping)."""
    series: dict[str, list[float]] = {}
    for record in read_json_lines(path):
        series.setdefault(record["name"], []).append(float(record["value"]))
    return series
