"""`rag eval`: run gold questions through one or more generators, judge, report, gate.

The main CLI (ui/cli.py) registers ``eval_command``. Heavy modules (the assistant,
Chroma, llama-index, matplotlib) load inside the command, so `rag --help` stays fast.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from evals.answerers import LLAMAINDEX
from evals.extras import require_eval_group
from evals.gates import (
    DEFAULT_GATES,
    Gate,
    GateFailedError,
    gate_failures,
    ordering_failures,
    parse_gate,
)
from rag.errors import ConfigError, InputError
from rag.settings import Settings, get_settings
from rag.thresholds import NAMES as THRESHOLDS
from rag.thresholds import thresholds, use

if TYPE_CHECKING:
    from evals.compare import Comparison
    from evals.gold import GoldItem
    from evals.results import EvalRun
    from evals.runner import Answerer, SourceTexts
    from rag.retrieval.corpus import Corpus

DEFAULT_GOLD = Path(__file__).parent / "data" / "gold.jsonl"
out = Console()
err = Console(stderr=True)


class Generator(StrEnum):
    """The --generator choices (kept in step with evals.answerers.GENERATORS by a test)."""

    local = "local"
    openai = "openai"
    extractive = "extractive"
    llamaindex_default = "llamaindex-default"


_DEFAULTS = " ".join(str(gate) for gate in DEFAULT_GATES)


def eval_command(
    *,
    gold: Annotated[
        list[Path] | None, typer.Option("--gold", help="Gold JSONL file (repeatable).")
    ] = None,
    generator: Annotated[
        list[Generator] | None,
        typer.Option("--generator", help="Generator to evaluate (repeatable: side by side)."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write results JSON.")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")] = None,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Earlier --json output to compare with.")
    ] = None,
    api: Annotated[
        str | None, typer.Option("--api", help="Ask a running server (http://host:port).")
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under", help=f"METRIC=VALUE floor (repeatable). Default: {_DEFAULTS}."
        ),
    ] = None,
    ingest: Annotated[
        list[Path] | None, typer.Option("--ingest", help="Ingest this path first (repeatable).")
    ] = None,
    collection: Annotated[str | None, typer.Option("--collection", help="Collection.")] = None,
    top_k: Annotated[int | None, typer.Option("--top-k", min=1, max=50)] = None,
    override: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="KEY=VALUE setting or threshold (rag.thresholds) for this run (repeatable).",
            metavar="KEY=VALUE",
        ),
    ] = None,
) -> None:
    """Evaluate answers, citations and refusals against gold data; exit 9 if a gate fails."""
    require_eval_group("eval")
    from evals.compare import compare_all
    from evals.gold import load_gold
    from evals.report import write_report
    from evals.results import load_runs, write_runs
    from evals.runner import merge_gold

    gates = [parse_gate(g) for g in fail_under] if fail_under else list(DEFAULT_GATES)
    settings = get_settings()
    settings = settings.with_collection(collection) if collection else settings
    setting_pairs, threshold_pairs = split_overrides(override or [])
    settings = settings.with_overrides(setting_pairs)
    limits = thresholds().with_overrides(threshold_pairs)
    if api and threshold_pairs:
        raise InputError("--set of a threshold changes this process; a server (--api) has its own")
    items = merge_gold(load_gold(path) for path in (gold or [DEFAULT_GOLD]))
    names = list(dict.fromkeys(g.value for g in generator)) if generator else [settings.llm]
    # Read the baseline before minutes of answering, so a bad path fails at once.
    baselines = load_runs(baseline) if baseline else {}
    base_config = {
        "gold": [str(path) for path in (gold or [DEFAULT_GOLD])],
        "top_k": top_k if api else top_k or settings.top_k,
        "collection": None if api else settings.collection,
        "api": api,
        "settings": setting_pairs,
        "thresholds": threshold_pairs,
    }
    with use(limits):
        runs = evaluate(items, names, settings, base_config, api=api, ingest=ingest or [])
    comparisons = compare_all(runs, baselines)
    if json_out:
        write_runs(json_out, runs)
    if report:
        write_report(report, runs, comparisons)
    print_summary(runs, comparisons)
    check_gates(runs, gates, require_measured=bool(fail_under))


def split_overrides(pairs: Sequence[str]) -> tuple[list[str], list[str]]:
    """``--set`` pairs for a setting, and for a threshold; a key that names neither is an
    error listing both."""
    settings: list[str] = []
    limits: list[str] = []
    for pair in pairs:
        name, sep, _ = pair.partition("=")
        if name.strip() in THRESHOLDS:
            limits.append(pair)
        elif name.strip() in Settings.model_fields or not sep:
            settings.append(pair)  # with_overrides checks the value, or reports a missing "="
        else:
            raise ConfigError(
                f"--set {pair!r}: {name.strip()!r} is neither a setting "
                f"({', '.join(Settings.model_fields)}) nor a threshold ({', '.join(THRESHOLDS)})"
            )
    return settings, limits


def check_gates(
    runs: Mapping[str, EvalRun], gates: Sequence[Gate], *, require_measured: bool
) -> None:
    """Raise GateFailedError naming every gate any of our runs missed; the llama-index
    peer is the reference the report compares with, not a product to gate."""
    failures = [
        f"{name}: {failure}"
        for name, run in runs.items()
        if name != LLAMAINDEX
        for failure in gate_failures(run.summary, gates, require_measured=require_measured)
    ]
    failures += ordering_failures({n: r.summary.get("answer_accuracy") for n, r in runs.items()})
    if failures:
        raise GateFailedError("quality gates failed: " + "; ".join(failures))


def evaluate(
    items: Sequence[GoldItem],
    names: Sequence[str],
    settings: Settings,
    base_config: Mapping[str, Any],
    *,
    api: str | None,
    ingest: Sequence[Path],
) -> dict[str, EvalRun]:
    """One run per generator, each answering every item."""
    from evals.answerers import api_answerers, local_answerers

    top_k = base_config["top_k"]
    with ExitStack() as stack:
        texts: SourceTexts | None
        if api:
            if ingest:
                raise InputError("--ingest works on the local index; ingest into the server")
            answerers, texts = stack.enter_context(api_answerers(settings, api, names, top_k))
        else:
            corpus = stack.enter_context(open_corpus(settings, ingest))
            answerers, texts = stack.enter_context(local_answerers(corpus, names, top_k))
        return {
            name: _timed_run(name, items, answerer, texts, base_config)
            for name, answerer in answerers.items()
        }


@contextmanager
def open_corpus(settings: Settings, ingest: Sequence[Path]) -> Iterator[Corpus]:
    """The local corpus, after ingesting ``ingest``; an empty one is an error, not a 0 score."""
    from rag.retrieval.corpus import Corpus

    corpus = Corpus(settings)
    try:
        if ingest:
            _ingest(corpus, ingest)
        if not corpus.manifest.documents():
            raise InputError(
                f"collection '{settings.collection}' in {settings.data_dir} is empty: "
                "pass --ingest PATH (e.g. --ingest data/sources)"
            )
        yield corpus
    finally:
        corpus.close()


def _ingest(corpus: Corpus, paths: Sequence[Path]) -> None:
    from index.ingest import ingest_paths

    report = ingest_paths(corpus, paths)
    for problem in report.skipped:
        err.print(f"[yellow]skipped[/] {problem}", highlight=False)
    err.print(
        f"ingested {report.files_seen} files: {report.documents_added} added, "
        f"{report.documents_unchanged} unchanged, {report.chunks_embedded} chunks embedded",
        highlight=False,
    )


def _timed_run(
    name: str,
    items: Sequence[GoldItem],
    answerer: Answerer,
    texts: SourceTexts | None,
    base_config: Mapping[str, Any],
) -> EvalRun:
    from evals.runner import run_eval

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(name, total=len(items))
        run = run_eval(
            items,
            answerer,
            texts,
            {"generator": name, **base_config},
            on_item=lambda _: progress.advance(task),
        )
    extra = {"started_at": started_at, "seconds": round(time.perf_counter() - started, 1)}
    return run.model_copy(update={"config": {**run.config, **extra}})


def print_summary(runs: Mapping[str, EvalRun], comparisons: Mapping[str, Comparison]) -> None:
    """The side-by-side table (with deltas against the baseline) and the flipped items."""
    from evals.compare import COMPARED
    from evals.report import format_delta, format_value

    table = Table("metric", *runs.keys(), title="eval summary")
    for metric in ("n", *COMPARED):
        cells = []
        for name, run in runs.items():
            text = format_value(metric, run.summary.get(metric))
            change = comparisons[name].deltas.get(metric) if name in comparisons else None
            if change is not None and change.delta:
                text += f" ({format_delta(metric, change.delta)})"
            cells.append(text)
        table.add_row(metric, *cells)
    out.print(table)
    for name, comparison in comparisons.items():
        if comparison.broke:
            out.print(f"[red]{name}: right → wrong:[/] {', '.join(comparison.broke)}")
        if comparison.fixed:
            out.print(f"[green]{name}: wrong → right:[/] {', '.join(comparison.fixed)}")
