"""`rag bench --report`: one self-contained HTML page (charts inlined as PNG data URIs)."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

# Shared with the eval report: the Agg-only PNG encoder.
from evals.charts import _data_uri

_DPI = 110
_RETRIEVERS = {"ours": "ours (hybrid)", "peer": "llama-index fusion", "raw_dense": "raw dense"}


def latency_chart(retrieval: Mapping[str, Any]) -> str:
    """p50 (solid) and p95 (dashed) retrieval latency against corpus size, log-log."""
    figure = Figure(figsize=(6.5, 3.6), dpi=_DPI)
    axes = figure.add_subplot()
    for key, label in _RETRIEVERS.items():
        sizes = sorted(retrieval[key], key=int)
        xs = [int(size) for size in sizes]
        line = axes.plot(xs, [retrieval[key][s]["p50_ms"] for s in sizes], "o-", label=label)
        colour = line[0].get_color()
        axes.plot(xs, [retrieval[key][s]["p95_ms"] for s in sizes], "--", color=colour)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("corpus size (chunks)")
    axes.set_ylabel("latency per query (ms)")
    axes.set_title("Retrieval latency (solid p50, dashed p95; query embedding excluded)")
    axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return _data_uri(figure)


def throughput_chart(concurrency: Mapping[str, Any]) -> str:
    """Requests per second and p95 latency against the number of concurrent clients."""
    figure = Figure(figsize=(6.5, 3.4), dpi=_DPI)
    axes = figure.add_subplot()
    clients = sorted(concurrency, key=int)
    xs = [int(c) for c in clients]
    axes.plot(xs, [concurrency[c]["throughput_rps"] for c in clients], "o-", label="req/s")
    axes.set_xscale("log", base=2)
    axes.set_xlabel("concurrent clients")
    axes.set_ylabel("throughput (req/s)")
    p95 = axes.twinx()
    p95.plot(xs, [concurrency[c]["p95_ms"] for c in clients], "s--", color="tab:red")
    p95.set_ylabel("p95 latency (ms)", color="tab:red")
    axes.set_title("API under load (extractive generator)")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return _data_uri(figure)


def rss_chart(soak: Mapping[str, Any]) -> str:
    """The server's resident memory over the soak, with the medians its growth compares."""
    memory = soak["memory"]
    figure = Figure(figsize=(6.5, 3.4), dpi=_DPI)
    axes = figure.add_subplot()
    xs = [t for t, _ in memory["samples"]]
    axes.plot(xs, [mb for _, mb in memory["samples"]], "-", label="RSS")
    if xs and memory["first_third_mb"] is not None:
        third = xs[-1] / 3
        axes.hlines(memory["first_third_mb"], 0, third, colors="tab:green", label="first third")
        axes.hlines(
            memory["last_third_mb"], 2 * third, xs[-1], colors="tab:red", label="last third"
        )
    axes.set_xlabel("seconds into the soak")
    axes.set_ylabel("server RSS (MB)")
    axes.set_title(f"Server memory under {soak['clients']} soak clients (medians per third)")
    axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return _data_uri(figure)


def reader_curve_chart(rows: Sequence[Mapping[str, Any]]) -> str:
    """Accuracy and wrong-answer rate (left) and p50 latency (right) against N."""
    figure = Figure(figsize=(6.5, 3.6), dpi=_DPI)
    axes = figure.add_subplot()
    xs = [row["n"] for row in rows]
    axes.plot(xs, [row["answer_accuracy"] for row in rows], "o-", label="answer accuracy")
    axes.plot(xs, [row["wrong_answer_rate"] for row in rows], "x-", label="wrong answers")
    axes.set_xlabel("candidate sentences read (N)")
    axes.set_ylabel("share of questions")
    axes.set_ylim(0, 1)
    axes.legend(fontsize="small", loc="center left")
    latency = axes.twinx()
    latency.plot(xs, [row["latency_ms_p50"] / 1000 for row in rows], "s--", color="tab:red")
    latency.set_ylabel("p50 latency (s)", color="tab:red")
    axes.set_title("The local reader against N")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    return _data_uri(figure)


def render_curve(result: Mapping[str, Any]) -> str:
    """The report page of `rag bench --reader-curve`."""
    rows = result["reader_curve"]
    recall = html.escape(json.dumps(result["evidence_recall"]))
    if not rows:
        return f"<!doctype html><html><body><p>evidence recall at N: {recall}</p></body></html>"
    header = "".join(f"<th>{html.escape(key)}</th>" for key in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>"
        for row in rows
    )
    config = html.escape(", ".join(f"{k}: {v}" for k, v in result["config"].items()))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rag bench --reader-curve</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}
td,th{{border-bottom:1px solid #ddd;padding:2px 8px;font-size:0.9rem}}</style></head>
<body><h1>The reader against N</h1><p>{config}</p>
<p>Share of answerable items whose evidence is among the N best candidates: {recall}</p>
<img alt="accuracy and latency against N" src="{reader_curve_chart(rows)}">
<table><tr>{header}</tr>{body}</table>
</body></html>
"""


def _table(rows: Iterator[tuple[str, str]]) -> str:
    return "\n".join(
        f"<tr><td>{html.escape(key)}</td><td>{html.escape(value)}</td></tr>" for key, value in rows
    )


def soak_section(soak: Mapping[str, Any]) -> str:
    """The soak's chart and its numbers (the per-second samples are in the chart, not listed)."""
    numbers = {key: value for key, value in soak.items() if key != "memory"}
    memory = {key: value for key, value in soak["memory"].items() if key != "samples"}
    rows = _rows({**numbers, "memory": memory})
    return f"""<h2>Soak: {soak["clients"]} clients for {soak["seconds"]:g}s</h2>
<p>{soak["server_errors"]} server errors, {len(soak["lost_documents"])} lost documents.</p>
<img alt="soak memory" src="{rss_chart(soak)}">
<table>{_table(rows)}</table>
"""


def _rows(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every leaf of the result as (dotted path, value)."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            yield from _rows(child, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        yield path, ", ".join(str(item) for item in value)
    else:
        yield path, str(value)


def render(result: Mapping[str, Any]) -> str:
    """The report page for one `rag bench` result."""
    table = _table(_rows({key: value for key, value in result.items() if key != "soak"}))
    soak = soak_section(result["soak"]) if "soak" in result else ""
    quick = " (--quick)" if result["config"].get("quick") else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rag bench{quick}</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}
td{{border-bottom:1px solid #ddd;padding:2px 8px;font-size:0.9rem}}</style></head>
<body><h1>rag bench{quick}</h1>
<p>{html.escape(result["config"]["retrieval_vectors"])}.</p>
<h2>Retrieval latency vs corpus size</h2>
<img alt="retrieval latency" src="{latency_chart(result["retrieval"])}">
<h2>Throughput vs concurrency</h2>
<img alt="throughput" src="{throughput_chart(result["concurrency"])}">
{soak}<h2>Every number</h2>
<table>{table}</table>
</body></html>
"""


def write_report(result: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page = render_curve(result) if "reader_curve" in result else render(result)
    path.write_text(page, encoding="utf-8")
