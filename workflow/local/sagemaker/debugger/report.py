"""The profiler report: one self-contained HTML page with the charts inline.

It combines the system samples taken around the job's process tree with the
per-step timings the training script writes when asked to profile
(``<output-data-dir>/profiler/steps.jsonl``, one JSON object per step).
"""
from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path
from statistics import median
from typing import TYPE_CHECKING, Any, NotRequired, TypedDict

from workflow.local.sagemaker.debugger.loss_curve import figure
from workflow.local.sagemaker.json_lines import read_json_lines

if TYPE_CHECKING:
    from workflow.local.sagemaker.training.layout import JobPaths

# Field names accepted for each timing, so scripts other than train.py can feed the report.
STEP_KEYS = ("step_seconds", "step_time", "duration", "seconds")
DATA_KEYS = ("data_seconds", "data_time", "data_loading_seconds", "dataloader_seconds")
COMPUTE_KEYS = ("compute_seconds", "compute_time", "compute")


class Step(TypedDict):
    """One training step's timing, in seconds."""

    total: float
    data: float
    compute: float
    #: "train", or the mode the script named (eval, ...).
    phase: str


class ProfileSummary(TypedDict):
    """What the report's table and advice read; the step and system parts are there when
    the job had steps timed and samples taken."""

    steps: int
    samples: int
    train_steps: NotRequired[int]
    median_step_ms: NotRequired[float]
    p95_step_ms: NotRequired[float]
    data_share: NotRequired[float]
    mean_cpu: NotRequired[float]
    peak_cpu: NotRequired[float]
    peak_rss_mib: NotRequired[float]
    duration_s: NotRequired[float]


def _pick(record: dict[str, Any], keys: tuple[str, ...]) -> float | None:
    for key in keys:
        if isinstance(record.get(key), (int, float)):
            return float(record[key])
    return None


def read_steps(paths: JobPaths) -> list[Step]:
    steps: list[Step] = []
    for record in read_json_lines(paths.output_data / "profiler" / "steps.jsonl"):
        data, compute, total = (_pick(record, DATA_KEYS), _pick(record, COMPUTE_KEYS),
                                _pick(record, STEP_KEYS))
        if total is None and data is not None and compute is not None:
            total = data + compute
        if total is None:
            continue
        if compute is None and data is not None:
            compute = max(0.0, total - data)
        steps.append(Step(total=total, data=data or 0.0, compute=compute or total,
                          phase=str(record.get("phase", record.get("mode", "train")))))
    return steps


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _step_chart(steps: list[Step]) -> str:
    fig = figure()
    ax = fig.add_subplot()
    xs = range(len(steps))
    data = [s["data"] * 1000 for s in steps]
    compute = [s["compute"] * 1000 for s in steps]
    ax.bar(xs, data, width=1.0, label="data loading", color="#e69f00")
    ax.bar(xs, compute, width=1.0, bottom=data, label="compute", color="#0072b2")
    ax.set(title="Step time: data loading vs compute", xlabel="step", ylabel="ms")
    ax.legend()
    return _png(fig)


def _system_chart(samples: list[dict[str, Any]]) -> str:
    fig = figure()
    ax = fig.add_subplot()
    t = [s["t"] for s in samples]
    ax.plot(t, [s["cpu_percent"] for s in samples], color="#d55e00", label="job CPU %")
    ax.plot(t, [s["system_cpu_percent"] for s in samples], color="#999999", label="machine CPU %")
    ax.set(title="CPU and memory over time", xlabel="seconds", ylabel="CPU % (100 = one core)")
    mem = ax.twinx()
    mem.plot(t, [s["rss_bytes"] / 2**20 for s in samples], color="#009e73", label="job memory")
    mem.set_ylabel("resident memory (MiB)")
    lines = ax.get_lines() + mem.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], loc="upper left")
    return _png(fig)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def summarise(steps: list[Step], samples: list[dict[str, Any]]) -> ProfileSummary:
    """``samples``: the system samples, as the sampler wrote them."""
    out = ProfileSummary(steps=len(steps), samples=len(samples))
    if steps:
        train = [s for s in steps if s["phase"] == "train"] or steps
        totals = [s["total"] for s in train]
        out.update({"train_steps": len(train), "median_step_ms": median(totals) * 1000,
                    "p95_step_ms": _percentile(totals, 0.95) * 1000,
                    "data_share": sum(s["data"] for s in train) / max(sum(totals), 1e-9)})
    if samples:
        out.update({"mean_cpu": sum(s["cpu_percent"] for s in samples) / len(samples),
                    "peak_cpu": max(s["cpu_percent"] for s in samples),
                    "peak_rss_mib": max(s["rss_bytes"] for s in samples) / 2**20,
                    "duration_s": samples[-1]["t"]})
    return out


def rows(job_name: str, summary: ProfileSummary, cores: int) -> list[tuple[str, str]]:
    """The summary table, in words and units a person reads."""
    table = [("Training job", job_name)]
    if "duration_s" in summary:
        table.append(("Profiled for", f"{summary['duration_s']:.1f} s "
                                      f"({summary['samples']} system samples)"))
    if summary.get("steps"):
        table += [("Steps timed", f"{summary['steps']} ({summary['train_steps']} training)"),
                  ("Training step time", f"median {summary['median_step_ms']:.0f} ms, "
                                         f"p95 {summary['p95_step_ms']:.0f} ms"),
                  ("Waiting for data", f"{summary['data_share']:.1%} of training step time")]
    if "mean_cpu" in summary:
        table += [("CPU of the job", f"mean {summary['mean_cpu']:.0f}%, peak "
                                     f"{summary['peak_cpu']:.0f}% (of {100 * cores}%, 100% = one core)"),
                  ("Peak memory of the job", f"{summary['peak_rss_mib']:.0f} MiB resident")]
    return table


def advice(summary: ProfileSummary, cores: int) -> list[str]:
    tips = []
    if summary.get("data_share", 0) > 0.3:
        tips.append(f"Data loading takes {summary['data_share']:.0%} of step time: raise the "
                    "DataLoader workers, cache decoded images or shrink the image size.")
    if summary.get("mean_cpu") is not None and summary["mean_cpu"] < 50 * cores:
        tips.append(f"The job used {summary['mean_cpu']:.0f}% CPU on average out of {100 * cores}%: "
                    "the machine has spare capacity (a larger batch or more workers may help).")
    if summary.get("steps") and summary["p95_step_ms"] > 2 * summary["median_step_ms"]:
        tips.append("Some steps take over twice the median: look for stalls (evaluation, "
                    "checkpointing, I/O) between steps.")
    if not summary.get("steps"):
        tips.append("No per-step timings were found: pass the hyperparameter profile=true so the "
                    "script writes profiler/steps.jsonl to its output data directory.")
    return tips or ["No bottleneck stands out."]


def render_report(job_name: str, paths: JobPaths, out: Path) -> None:
    steps = read_steps(paths)
    samples = read_json_lines(paths.root / "profiler-output" / "system.jsonl")
    summary = summarise(steps, samples)
    cores = os.cpu_count() or 1
    table = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in rows(job_name, summary, cores))
    charts = ""
    if steps:
        train = [s for s in steps if s["phase"] == "train"] or steps
        charts += f'<h2>Training step time</h2><img alt="step time" src="data:image/png;base64,{_step_chart(train)}">'
    if samples:
        charts += ('<h2>System utilisation</h2>'
                   f'<img alt="cpu and memory" src="data:image/png;base64,{_system_chart(samples)}">')
    tips = "".join(f"<li>{html.escape(t)}</li>" for t in advice(summary, cores))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Profiler report: {html.escape(job_name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}}
table{{border-collapse:collapse}}th,td{{padding:.25em 1em;border-bottom:1px solid #ddd;text-align:left}}
img{{max-width:100%}}</style></head><body>
<h1>Profiler report</h1><p>Training job <b>{html.escape(job_name)}</b></p>
<h2>Summary</h2><table>{table}</table>
<h2>Recommendations</h2><ul>{tips}</ul>
{charts}
</body></html>
""")
