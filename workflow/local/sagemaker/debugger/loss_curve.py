"""The loss curve by step for TRAIN and EVAL, as a PNG (the plot Debugger users draw)."""
from __future__ import annotations

from pathlib import Path

from workflow.local.sagemaker.debugger.trial import TrialData


def figure():
    """A matplotlib figure on the Agg backend (no display, safe in any thread)."""
    from matplotlib.figure import Figure  # deferred: matplotlib's import is slow

    return Figure(figsize=(8, 4.5), dpi=100)


def draw_loss_curve(data: TrialData, out: Path) -> bool:
    """Writes ``out`` when a loss was saved; returns whether it did."""
    names = data.names(collection="losses") or data.names(regex=[r"(?i)loss"])
    fig = figure()
    ax = fig.add_subplot()
    drawn, lowest, highest = False, float("inf"), 0.0
    for name in names:
        for mode, style in (("TRAIN", "-"), ("EVAL", "--")):
            series = data.global_series(name, mode)
            if series:
                steps, values = zip(*series, strict=False)
                ax.plot(steps, values, style, marker="." if len(series) < 60 else None,
                        label=f"{name} ({mode.lower()})")
                drawn = True
                lowest, highest = min(lowest, *values), max(highest, *values)
    if not drawn:
        return False
    title = names[0].split("_output")[0] if len(names) == 1 else "Loss"
    ax.set_title(f"{title} by step")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if lowest > 0 and highest / lowest > 100:
        # An early spike (an untrained network in eval mode) would flatten the rest of the curve.
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    # Fixed margins: tight_layout measures every label and takes a tenth of a second.
    fig.subplots_adjust(left=0.1, right=0.97, top=0.92, bottom=0.12)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format="png")
    return True
