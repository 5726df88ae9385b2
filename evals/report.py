"""The eval's HTML report: one self-contained file, readable offline.

Charts are inlined PNGs and the style sheet is inline, so the file can be mailed, stored
as a CI artifact or opened from disk with no network. Every piece of text from answers,
sources or gold data is escaped: a quote holding ``<script>`` must show, not run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from evals.charts import latency_chart, tag_chart
from evals.compare import COMPARED, Comparison
from evals.results import EvalRun, ItemRecord

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; vertical-align: top; text-align: left; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.up { color: #0a7d2c; } .down { color: #b3261e; }
.quote { font-size: 0.9em; color: #444; margin: 0.2rem 0; }
.muted { color: #777; font-size: 0.9em; }
img { max-width: 100%; border: 1px solid #eee; }
"""
# Metrics where a fall is the good direction, for colouring deltas.
_LOWER_IS_BETTER = frozenset(
    {"false_refusal_rate", "wrong_answer_rate", "latency_ms_p50", "latency_ms_p95"}
)


def render_report(
    runs: Mapping[str, EvalRun],
    comparisons: Mapping[str, Comparison] | None = None,
    title: str = "RAG eval report",
) -> str:
    """The whole report as one HTML document."""
    comparisons = comparisons or {}
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="muted">generated {escape(generated)}</p>',
        "<h2>Summary</h2>",
        summary_table(runs, comparisons),
        _config_list(runs),
        _flips(comparisons),
        "<h2>By tag</h2>",
        f'<img id="tag-chart" alt="answer accuracy by tag" src="{tag_chart(runs)}">',
        "<h2>Latency</h2>",
        f'<img id="latency-chart" alt="latency histogram" src="{latency_chart(runs)}">',
        "<h2>Failed questions</h2>",
        *(_failures(name, run) for name, run in runs.items()),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def write_report(
    path: Path, runs: Mapping[str, EvalRun], comparisons: Mapping[str, Comparison] | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(runs, comparisons), encoding="utf-8")


def format_value(metric: str, value: float | int | None) -> str:
    """Rates with three decimals, latencies in whole ms, "n/a" for not measured."""
    if value is None:
        return "n/a"
    if metric == "n":
        return str(int(value))
    if metric.startswith("latency"):
        return f"{value:.0f} ms"
    return f"{value:.3f}"


def format_delta(metric: str, delta: float) -> str:
    """A signed change in the metric's own unit."""
    return f"{delta:+.0f} ms" if metric.startswith("latency") else f"{delta:+.3f}"


def summary_table(runs: Mapping[str, EvalRun], comparisons: Mapping[str, Comparison]) -> str:
    """Metrics as rows, generators side by side; a delta after each value with a baseline."""
    head = "".join(f"<th>{escape(name)}</th>" for name in runs)
    rows = []
    for metric in ("n", *COMPARED):
        cells = "".join(
            f'<td class="num">{_cell(metric, run, comparisons.get(name))}</td>'
            for name, run in runs.items()
        )
        rows.append(f"<tr><th>{escape(metric)}</th>{cells}</tr>")
    return (
        f'<table id="summary"><thead><tr><th>metric</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _cell(metric: str, run: EvalRun, comparison: Comparison | None) -> str:
    text = escape(format_value(metric, run.summary.get(metric)))
    change = comparison.deltas.get(metric) if comparison else None
    delta = change.delta if change else None
    if delta is None or delta == 0:
        return text
    better = (delta < 0) if metric in _LOWER_IS_BETTER else (delta > 0)
    shown = format_delta(metric, delta)
    return f'{text} <span class="{"up" if better else "down"}">({escape(shown)})</span>'


def _config_list(runs: Mapping[str, EvalRun]) -> str:
    items = []
    for name, run in runs.items():
        settings = ", ".join(
            f"{escape(str(key))}={escape(_plain(value))}"
            for key, value in run.config.items()
            if key != "generator"
        )
        items.append(f"<li><b>{escape(name)}</b>: {settings}</li>")
    return f'<ul class="muted">{"".join(items)}</ul>'


def _plain(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _flips(comparisons: Mapping[str, Comparison]) -> str:
    if not comparisons:
        return ""
    parts = ["<h2>Against the baseline</h2><ul>"]
    for name, comparison in comparisons.items():
        broke = ", ".join(escape(i) for i in comparison.broke) or "none"
        fixed = ", ".join(escape(i) for i in comparison.fixed) or "none"
        parts.append(
            f"<li><b>{escape(name)}</b> vs {escape(comparison.baseline_generator)}: "
            f'<span class="down">right → wrong: {broke}</span>; '
            f'<span class="up">wrong → right: {fixed}</span></li>'
        )
    parts.append("</ul>")
    return "".join(parts)


def _failures(name: str, run: EvalRun) -> str:
    failed = [item for item in run.items if not item.correct]
    heading = f"<h3>{escape(name)}: {len(failed)} of {len(run.items)} wrong</h3>"
    if not failed:
        return heading
    rows = "".join(_failure_row(item) for item in failed)
    return (
        f'{heading}<table class="failures"><thead><tr><th>id</th><th>question</th>'
        "<th>answer</th><th>citations</th><th>gold</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _failure_row(item: ItemRecord) -> str:
    history = _quotes([f"{turn.role}: {turn.content}" for turn in item.history])
    gold = item.gold_answer if item.answerable else "(should refuse) " + item.gold_answer
    sources = "in " + ", ".join(item.gold_sources) if item.gold_sources else ""
    citations = [f"[{c.n}] {c.source}: {c.quote}" for c in item.citations]
    return (
        f"<tr><td>{escape(item.id)}{_muted(', '.join(item.tags))}</td>"
        f"<td>{history}{escape(item.question)}</td>"
        f"<td>{escape(item.answer)}{_muted('(refused)' if item.refused else '')}"
        f"{_muted(item.notice or '')}</td>"
        f"<td>{_quotes(citations)}</td>"
        f"<td>{escape(gold)}{_muted(sources)}{_quotes(item.evidence)}</td></tr>"
    )


def _muted(text: str) -> str:
    return f'<div class="muted">{escape(text)}</div>' if text else ""


def _quotes(texts: Sequence[str]) -> str:
    return "".join(f'<div class="quote">{escape(text)}</div>' for text in texts)
