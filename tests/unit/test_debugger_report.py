"""The profiler report from step timings and system samples."""
from __future__ import annotations

import json

from workflow.local.sagemaker.debugger.report import advice, read_steps, render_report, summarise
from workflow.local.sagemaker.training.layout import JobPaths


def _write(paths: JobPaths, steps: list[dict], samples: list[dict]) -> None:
    (paths.output_data / "profiler").mkdir(parents=True)
    (paths.output_data / "profiler" / "steps.jsonl").write_text(
        "".join(json.dumps(s) + "\n" for s in steps) + '{"half a line')
    (paths.root / "profiler-output").mkdir(parents=True)
    (paths.root / "profiler-output" / "system.jsonl").write_text(
        "".join(json.dumps(s) + "\n" for s in samples))


def test_report_summarises_training_steps_and_system_use(tmp_path):
    paths = JobPaths.of(tmp_path, "job")
    paths.create()
    steps = [{"step": i, "mode": "train", "data_seconds": 0.06, "compute_seconds": 0.04}
             for i in range(10)] + [{"step": 0, "mode": "eval", "data_seconds": 0.0,
                                     "compute_seconds": 5.0}]
    samples = [{"t": 0.5 * i, "cpu_percent": 50.0 + i, "rss_bytes": 2**20 * (100 + i),
                "processes": 1, "system_cpu_percent": 60.0, "system_memory_percent": 10.0}
               for i in range(6)]
    _write(paths, steps, samples)
    parsed = read_steps(paths)
    assert len(parsed) == 11 and parsed[0]["total"] == 0.1
    summary = summarise(parsed, samples)
    assert summary["train_steps"] == 10
    assert round(summary["median_step_ms"]) == 100 and round(summary["data_share"], 2) == 0.6
    assert summary["peak_rss_mib"] == 105
    assert any("Data loading takes 60%" in tip for tip in advice(summary, cores=2))
    out = tmp_path / "report.html"
    render_report("job", paths, out)
    html = out.read_text()
    assert "median 100 ms" in html and "60.0% of training step time" in html
    assert html.count("data:image/png;base64,") == 2


def test_report_without_step_timings_says_how_to_get_them(tmp_path):
    paths = JobPaths.of(tmp_path, "job")
    paths.create()
    out = tmp_path / "report.html"
    render_report("job", paths, out)
    assert "profile=true" in out.read_text()
