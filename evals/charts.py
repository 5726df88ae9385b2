"""The report's charts as PNG data URIs, so the HTML file needs no network and no side files.

Figures are drawn on matplotlib's Agg canvas directly (no pyplot): no GUI backend, no
global figure state, safe in a server or a headless CI job.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from evals.results import EvalRun

_DPI = 110
_BAR_GROUP_WIDTH = 0.8


def _data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)  # attaches the Agg canvas: no GUI backend is ever chosen
    figure.savefig(buffer, format="png")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def tag_chart(runs: Mapping[str, EvalRun], metric: str = "answer_accuracy") -> str:
    """Grouped bars: ``metric`` per tag (item count in brackets), one bar per generator."""
    tags = sorted({tag for run in runs.values() for tag in run.by_tag})
    figure = Figure(figsize=(max(6.0, 0.55 * len(tags) * max(len(runs), 1) + 2), 3.6), dpi=_DPI)
    axes = figure.add_subplot()
    width = _BAR_GROUP_WIDTH / max(len(runs), 1)
    for i, (name, run) in enumerate(runs.items()):
        values = [_value(run.by_tag.get(tag, {}).get(metric)) for tag in tags]
        positions = [t + (i - (len(runs) - 1) / 2) * width for t in range(len(tags))]
        axes.bar(positions, values, width=width, label=name)
    sizes = {tag: run.by_tag[tag].get("n") for run in runs.values() for tag in run.by_tag}
    labels = [f"{tag} ({sizes[tag]})" for tag in tags]
    axes.set_xticks(range(len(tags)), labels, rotation=35, ha="right")
    axes.set_ylim(0, 1.05)
    axes.set_ylabel(metric.replace("_", " "))
    axes.set_title(f"{metric.replace('_', ' ')} by tag")
    axes.legend(fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return _data_uri(figure)


def latency_chart(runs: Mapping[str, EvalRun]) -> str:
    """Overlaid histograms of the total latency per question, one per generator."""
    figure = Figure(figsize=(6.5, 3.4), dpi=_DPI)
    axes = figure.add_subplot()
    for name, run in runs.items():
        totals = [item.latency_ms.total for item in run.items]
        axes.hist(totals, bins=20, alpha=0.55, label=name)
    axes.set_xlabel("total latency per question (ms)")
    axes.set_ylabel("questions")
    axes.set_title("Latency")
    axes.legend(fontsize="small")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    return _data_uri(figure)


def _value(value: float | int | None) -> float:
    # An unmeasured value draws no bar rather than a misleading zero-height one.
    return float("nan") if value is None else float(value)
