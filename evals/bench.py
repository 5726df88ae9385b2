"""`rag bench`: ingest, retrieval, end-to-end and load numbers, beside llama-index's peer.

``ingest.web`` (evals/bench_web.py): web pages fetched over loopback and extracted,
trafilatura beside the whole-page fallback, and a feed of them ingested per page.

``--soak SECONDS`` adds a soak (evals/bench_soak.py): concurrent clients asking,
uploading and deleting for that long, then checking no document was lost.

The main CLI (ui/cli.py) registers ``bench_command``. Everything runs in a temporary
folder with servers on free loopback ports; nothing is downloaded and nothing outside
that folder is written but the JSON and HTML outputs.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from evals.extras import require_eval_group
from rag.settings import Settings, get_settings

if TYPE_CHECKING:
    from evals.bench_load import Messages
    from evals.bench_server import LLMEndpoint, RunningAPI

DEFAULT_SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"
DEFAULT_GOLD = Path(__file__).parent / "data" / "gold.jsonl"
_EMBED_QUESTIONS = 20
_WEB_PAGES = 50  # enough for a steady pages/s; each is also embedded in the feed run
out = Console(stderr=True)


@dataclass(frozen=True)
class BenchPlan:
    """How much of each stage to run; ``quick`` keeps the JSON shape, shrinks the work."""

    quick: bool
    articles: int
    sizes: tuple[int, ...]
    queries: int
    top_k: int
    questions: int
    rounds: int
    clients: tuple[int, ...]
    per_client: int
    local: bool
    soak_s: float = 0.0
    soak_clients: int = 8

    @classmethod
    def of(cls, quick: bool, top_k: int, local: bool) -> BenchPlan:
        if quick:
            # One question for the end-to-end figures: each is a reader call of ~10 s on
            # 2 cores, and --quick (run by `make test`) checks shape, not percentiles.
            return cls(True, 12, (300, 1000), 50, top_k, 1, 1, (1, 8, 32), 2, local)
        return cls(False, 200, (1000, 10000, 100000), 100, top_k, 4, 3, (1, 8, 32), 8, local)

    @property
    def stage_count(self) -> int:
        return len(self.sizes) + len(self.clients) + 3 + (1 if self.soak_s > 0 else 0)


@dataclass
class Stages:
    """A progress bar over the benchmark's stages."""

    progress: Progress
    task: Any

    def start(self, name: str) -> None:
        self.progress.update(self.task, description=name)

    def done(self) -> None:
        self.progress.advance(self.task)


@contextmanager
def _stages(total: int) -> Iterator[Stages]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=out) as progress:
        yield Stages(progress, progress.add_task("bench", total=total))


def _questions(count: int | None = None) -> list[str]:
    from evals.gold import load_gold

    return [item.question for item in load_gold(DEFAULT_GOLD) if item.answerable][:count]


def _server_env(settings: Settings, llm_url: str | None) -> dict[str, str]:
    """The knobs the API must share with this process, so prompts match the measured ones."""
    env = {
        "RAG_LLM": "extractive",
        "RAG_TOP_K": str(settings.top_k),
        "RAG_LLM_CTX": str(settings.llm_ctx),
        "RAG_LLM_MAX_TOKENS": str(settings.llm_max_tokens),
        "RAG_LLM_MODEL": settings.llm_model,
        "RAG_CHUNK_SIZE": str(settings.chunk_size),
        "RAG_CHUNK_OVERLAP": str(settings.chunk_overlap),
    }
    return {**env, "RAG_LLM_BASE_URL": llm_url} if llm_url else env


def _retrieval(
    root: Path, base: Settings, embedder: Any, plan: BenchPlan, stages: Stages
) -> tuple[dict[str, Any], dict[str, float]]:
    from evals.bench_retrieval import bench_size, query_embed_ms

    retrieval: dict[str, Any] = {"ours": {}, "peer": {}, "raw_dense": {}}
    memory: dict[str, float] = {}
    for size in plan.sizes:
        stages.start(f"retrieval at {size} chunks")
        result = bench_size(
            root, base, embedder, n_chunks=size, n_queries=plan.queries, top_k=plan.top_k
        )
        for name, summary in result.latency.items():
            retrieval[name][str(size)] = summary
        memory[str(size)] = result.peak_rss_mb
        stages.done()
    retrieval["query_embed_ms"] = query_embed_ms(embedder, _questions(_EMBED_QUESTIONS))
    return retrieval, memory


def _e2e(
    api_url: str,
    llm: LLMEndpoint | None,
    settings: Settings,
    *,
    prompts: Sequence[Messages],
    plan: BenchPlan,
    questions: Sequence[str],
) -> dict[str, Any]:
    from evals.bench_load import api_stream_timings, llm_ttft

    e2e: dict[str, Any] = {
        "questions": len(questions),
        "extractive": api_stream_timings(api_url, questions, "extractive", plan.rounds),
    }
    if llm is not None:
        e2e["local"] = api_stream_timings(api_url, questions, "local", plan.rounds)
        e2e["llm_direct"] = llm_ttft(llm.base_url, settings, prompts, plan.rounds)
        # The verified answer can only follow the model's whole reply: what we add is the
        # end-to-end total over the bare server's total on the same prompt.
        ratio = e2e["local"]["total_p50"] / e2e["llm_direct"]["total_p50"]
        e2e["total_overhead"] = round(ratio - 1, 3)
    return e2e


def _concurrency(
    api_url: str, questions: Sequence[str], plan: BenchPlan, stages: Stages
) -> dict[str, Any]:
    from evals.bench_load import concurrency_run

    concurrency: dict[str, Any] = {}
    for clients in plan.clients:
        stages.start(f"{clients} concurrent clients")
        concurrency[str(clients)] = concurrency_run(api_url, questions, clients, plan.per_client)
        stages.done()
    return concurrency


def _soak(api: RunningAPI, plan: BenchPlan, stages: Stages) -> dict[str, Any]:
    from evals.bench_soak import SoakPlan, run_soak

    stages.start(f"soak: {plan.soak_clients} clients for {plan.soak_s:g}s")
    soak = run_soak(
        api.url, api.process.pid, SoakPlan(plan.soak_clients, plan.soak_s), _questions()
    )
    stages.done()
    return asdict(soak)


def _ingest_samples(settings: Settings, embedder: Any) -> None:
    from index.ingest import ingest_paths
    from rag.retrieval.corpus import Corpus

    corpus = Corpus(settings, embedder)
    try:
        ingest_paths(corpus, [DEFAULT_SOURCES])
    finally:
        corpus.close()


def _served(
    root: Path, base: Settings, embedder: Any, plan: BenchPlan, stages: Stages
) -> dict[str, Any]:
    """Ingest the sample sources, then measure `rag serve` end to end, under load, soaked."""
    from evals.bench_load import answer_prompts
    from evals.bench_server import llm_server, rag_api
    from evals.bench_timing import process_peak_rss_mb

    settings = base.model_copy(update={"data_dir": root / "serve-data"})
    _ingest_samples(settings, embedder)
    questions = _questions(plan.questions)
    prompts = answer_prompts(settings, embedder, questions) if plan.local else []
    with ExitStack() as stack:
        stages.start("end to end (starting servers)")
        llm = stack.enter_context(llm_server(base, root / "llm")) if plan.local else None
        env = _server_env(settings, llm.base_url if llm else None)
        api = stack.enter_context(rag_api(settings.data_dir, env))
        stages.start("end to end")
        e2e = _e2e(api.url, llm, settings, prompts=prompts, plan=plan, questions=questions)
        stages.done()
        served: dict[str, Any] = {
            "e2e": e2e,
            "concurrency": _concurrency(api.url, questions, plan, stages),
            # Read before the soak, so these stay comparable between runs with and without it.
            "memory": {
                "server_peak_rss_mb": process_peak_rss_mb(api.process.pid),
                "llm_server_peak_rss_mb": process_peak_rss_mb(llm.pid) if llm and llm.pid else None,
            },
        }
        if plan.soak_s > 0:
            served["soak"] = _soak(api, plan, stages)
    return served


def _config(plan: BenchPlan, base: Settings) -> dict[str, Any]:
    from evals.bench_retrieval import VECTORS_NOTE

    return {
        **asdict(plan),
        "embedder": base.embed,
        "embed_batch": base.embed_batch,
        "chunk_size": base.chunk_size,
        "retrieval_vectors": VECTORS_NOTE,
        "query_embedding": "excluded from retrieval latencies (timed as query_embed_ms)",
        "peer": "llama-index QueryFusionRetriever(reciprocal_rerank, num_queries=1) over "
        "VectorStoreIndex(ChromaVectorStore, same collection) + BM25Retriever",
        "ours_candidates": "HybridRetriever fetches max(4k, 20) per side before fusing",
        "local_generator": plan.local,
    }


def run_bench(plan: BenchPlan, base: Settings) -> dict[str, Any]:
    """Every stage, in a temporary folder; the result is what `--json` writes."""
    from evals.bench_ingest import bench_ingest
    from evals.bench_web import bench_web
    from rag.adapters.embedders import get_embedder

    embedder = get_embedder(base)
    with (
        tempfile.TemporaryDirectory(prefix="rag-bench-") as tmp,
        _stages(plan.stage_count) as stages,
    ):
        root = Path(tmp)
        stages.start(f"ingest {plan.articles} articles")
        ingest: dict[str, Any] = bench_ingest(root, base, embedder, plan.articles)
        stages.done()
        stages.start("web pages and a feed")
        ingest["web"] = bench_web(root, base, embedder, min(plan.articles, _WEB_PAGES))
        stages.done()
        retrieval, bench_memory = _retrieval(root, base, embedder, plan, stages)
        served = _served(root, base, embedder, plan, stages)
    memory = {**served["memory"], "bench_peak_rss_mb_by_chunks": bench_memory}
    result = {
        "ingest": ingest,
        "retrieval": retrieval,
        "e2e": served["e2e"],
        "concurrency": served["concurrency"],
        "memory": memory,
        "config": _config(plan, base),
    }
    return {**result, "soak": served["soak"]} if "soak" in served else result


def _judge_soak(soak: dict[str, Any]) -> None:
    """Print the soak's outcome; a failed soak fails the command (after the outputs are written)."""
    from evals.bench_soak import soak_problems

    memory = soak["memory"]
    out.print(
        f"soak: {sum(soak['requests'].values())} requests in {soak['seconds']:g}s, "
        f"{soak['server_errors']} 5xx, {len(soak['lost_documents'])} lost documents, server RSS "
        f"{memory['start_mb']} -> {memory['end_mb']} MB (growth {memory['growth_mb']} MB)"
    )
    problems = soak_problems(soak)
    if problems:
        out.print(f"[red]soak failed: {'; '.join(problems)}[/red]")
        raise typer.Exit(1)


def _reader_curve(
    settings: Settings, gold: Path, sizes: str, limit: int, llm: bool
) -> dict[str, Any]:
    from evals.bench_reader import evidence_recall, reader_curve
    from evals.gold import load_gold

    try:
        ns = [int(n) for n in sizes.split(",")]
    except ValueError as exc:
        raise typer.BadParameter(f"--curve-n {sizes!r}: comma-separated numbers") from exc
    items = load_gold(gold)[:limit]
    recall = evidence_recall(settings, items, sorted({*ns, 1, 30}))
    out.print(f"evidence among the N best candidates: {recall}")
    rows: list[dict[str, Any]] = []
    if llm:
        with _stages(len(ns) * len(items)) as stages:
            stages.start("the reader against N")
            rows = reader_curve(settings, items, ns, on_item=stages.done)
    config = {"gold": str(gold), "items": len(items), "collection": settings.collection}
    return {
        "reader_curve": rows,
        "evidence_recall": recall,
        "config": config | {"model": settings.llm_model},
    }


def bench_command(
    *,
    quick: Annotated[
        bool, typer.Option("--quick", help="Small sizes and few requests (under 3 minutes).")
    ] = False,
    json_out: Annotated[
        Path, typer.Option("--json", help="Where to write the results JSON.")
    ] = Path("artifacts/bench.json"),
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report.")] = None,
    local: Annotated[
        bool, typer.Option("--local/--no-local", help="Also measure the local LLM generator.")
    ] = True,
    soak: Annotated[
        float,
        typer.Option(
            "--soak",
            min=0,
            help="Also soak the API for this many seconds: clients asking, uploading and "
            "deleting, then a check that no document was lost (0: skip, the default).",
        ),
    ] = 0.0,
    soak_clients: Annotated[
        int, typer.Option("--soak-clients", min=1, max=64, help="Concurrent soak clients.")
    ] = 8,
    reader_curve: Annotated[
        Path | None,
        typer.Option(
            "--reader-curve",
            help="Instead: the local reader's accuracy and latency against N (candidate "
            "sentences) over this gold file, on the configured collection.",
        ),
    ] = None,
    curve_n: Annotated[str, typer.Option("--curve-n", help="N values, comma-separated.")] = (
        "4,6,8,10,12,15"
    ),
    curve_items: Annotated[
        int, typer.Option("--curve-items", min=1, help="Gold items per N (the first ones).")
    ] = 1000,
) -> None:
    """Benchmark ingestion, retrieval (beside llama-index's hybrid retriever), the API and load."""
    require_eval_group("bench")
    settings = get_settings()
    if reader_curve is not None:
        result = _reader_curve(settings, reader_curve, curve_n, curve_items, local)
    else:
        plan = BenchPlan.of(quick, settings.top_k, local)
        plan = replace(plan, soak_s=soak, soak_clients=soak_clients)
        result = run_bench(plan, settings)
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    out.print(f"wrote {json_out}")
    if report is not None:
        from evals.bench_report import write_report

        write_report(result, report)
        out.print(f"wrote {report}")
    if "soak" in result:
        _judge_soak(result["soak"])
