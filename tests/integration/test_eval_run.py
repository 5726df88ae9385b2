"""The CI gate: the real pipeline over the samples must meet the quality gates, and
`rag eval` must gate, write its files, compare with a baseline and run against the API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from evals.answerers import local_answerers
from evals.gates import DEFAULT_GATES, gate_failures
from evals.gold import load_gold
from evals.results import EvalRun, load_runs, write_runs
from evals.runner import run_eval
from index.ingest import ingest_paths
from rag.adapters.embedders import Embedder
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from tests.conftest import ROOT, free_port, wait_http

pytestmark = pytest.mark.integration

GOLD = ROOT / "evals" / "data" / "gold.jsonl"
MULTITURN = ROOT / "evals" / "data" / "multiturn.jsonl"
RAG = Path(sys.executable).with_name("rag")
# An item no answer can satisfy: the CLI test needs one sure "right → wrong" flip.
IMPOSSIBLE = {
    "id": "x-impossible",
    "question": "Who exchanged the ratification documents?",
    "answer": "nobody",
    "must_contain": [["zzz-no-such-name"]],
    "must_not_contain": [],
    "sources": ["001_a4b0b9614c74e4e8.txt"],
    "evidence": ["Kim Jong Gyu and Russia’s Vice Foreign Minister Andrei Rudenko exchanged"],
    "answerable": True,
}


@pytest.fixture(scope="module")
def data_dir(
    tmp_path_factory: pytest.TempPathFactory, sample_dir: Path, embedder: Embedder
) -> Path:
    """A data folder holding the ingested samples, shared by the CLI and API tests."""
    path = tmp_path_factory.mktemp("eval") / "data"
    corpus = Corpus(Settings(data_dir=path), embedder=embedder)
    try:
        ingest_paths(corpus, [sample_dir])
    finally:
        corpus.close()
    return path


@pytest.fixture(scope="module")
def extractive_run(data_dir: Path, embedder: Embedder) -> EvalRun:
    settings = Settings(data_dir=data_dir, llm="extractive")
    corpus = Corpus(settings, embedder=embedder)
    try:
        with local_answerers(corpus, ["extractive"], settings.top_k) as (answerers, texts):
            return run_eval(
                load_gold(GOLD), answerers["extractive"], texts, {"generator": "extractive"}
            )
    finally:
        corpus.close()


def _describe_failures(run: EvalRun) -> str:
    lines = []
    for item in run.items:
        bad_quote = item.verbatim_rate is not None and item.verbatim_rate < 1
        bad_cite = not item.refused and (item.citation_precision or 1.0) < 1
        if not item.correct or bad_quote or bad_cite:
            quotes = " | ".join(f"{c.source}: {c.quote[:80]}" for c in item.citations)
            lines.append(
                f"{item.id} correct={item.correct} refused={item.refused} "
                f"precision={item.citation_precision} verbatim={item.verbatim_rate}: "
                f"{item.answer[:120]!r} cites [{quotes}]"
            )
    return "\n".join(lines)


def test_extractive_meets_every_quality_gate(extractive_run: EvalRun) -> None:
    failures = gate_failures(extractive_run.summary, DEFAULT_GATES, require_measured=True)
    assert not failures, f"{failures}\n{_describe_failures(extractive_run)}"


def test_retrieval_finds_the_evidence(extractive_run: EvalRun) -> None:
    assert extractive_run.summary["hit_at_5"] is not None
    assert extractive_run.summary["hit_at_5"] >= 0.9
    assert extractive_run.summary["n"] == len(load_gold(GOLD))


def _rag(args: list[str], data_dir: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_LLM": "extractive"}
    return subprocess.run(
        [str(RAG), *args],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _small_gold(path: Path, run: EvalRun, extra: list[dict[str, object]]) -> Path:
    """Two items extractive answers right, one follow-up, plus ``extra``."""
    right = [item.id for item in run.items if item.correct][:2]
    lines = [line for line in GOLD.read_text().splitlines() if json.loads(line)["id"] in right]
    lines.append(MULTITURN.read_text().splitlines()[0])
    path.write_text("\n".join(lines + [json.dumps(e) for e in extra]) + "\n", encoding="utf-8")
    return path


def test_cli_gates_writes_results_and_flags_flips(
    tmp_path: Path, data_dir: Path, extractive_run: EvalRun
) -> None:
    gold = _small_gold(tmp_path / "gold.jsonl", extractive_run, [IMPOSSIBLE])
    baseline = tmp_path / "before.json"
    # Yesterday's run answered the impossible item "right": today it must show as a flip.
    was_right = extractive_run.items[0].model_copy(update={"id": IMPOSSIBLE["id"], "correct": True})
    before = extractive_run.model_copy(update={"items": [was_right]})
    write_runs(baseline, {"extractive": before})
    out, report = tmp_path / "eval.json", tmp_path / "report.html"
    gates = ["--fail-under", "answer_accuracy=1.01", "--fail-under", "hit_at_5=0"]
    files = ["--json", str(out), "--report", str(report), "--baseline", str(baseline)]
    result = _rag(
        ["eval", "--gold", str(gold), "--generator", "extractive", *files, *gates], data_dir
    )
    assert result.returncode == 9, result.stderr
    assert "answer_accuracy" in result.stderr and "1.01" in result.stderr
    assert "hit_at_5" not in result.stderr  # the gate that passed is not named
    assert "x-impossible" in result.stdout and "right → wrong" in result.stdout
    (run,) = load_runs(out).values()
    assert not next(i for i in run.items if i.id == "x-impossible").correct
    follow_up = next(i for i in run.items if i.history)
    assert follow_up.question == "Where did they do it?" and len(follow_up.history) == 2
    assert run.config["generator"] == "extractive" and run.config["gold"] == [str(gold)]
    html = report.read_text(encoding="utf-8")
    assert '<table id="summary">' in html and "x-impossible" in html


def test_cli_rejects_a_bad_gate_before_answering(tmp_path: Path) -> None:
    result = _rag(["eval", "--fail-under", "latency_ms_p95=100"], tmp_path / "empty")
    assert result.returncode == 2
    assert "--fail-under" in result.stderr


def test_cli_set_overrides_a_threshold_for_the_run_and_records_it(
    tmp_path: Path, data_dir: Path, extractive_run: EvalRun
) -> None:
    gold = _small_gold(tmp_path / "gold.jsonl", extractive_run, [])
    out = tmp_path / "strict.json"
    # Support never exceeds 1: above it, every question is refused, the right ones too.
    sets = ["--set", "min_support=1.01", "--set", "reader_sentences=6"]
    files = ["--gold", str(gold), "--json", str(out), "--fail-under", "hit_at_5=0"]
    result = _rag(["eval", "--generator", "extractive", *files, *sets], data_dir)
    assert result.returncode == 0, result.stderr
    (run,) = load_runs(out).values()
    assert run.items and all(item.refused for item in run.items)
    assert all("1.01" in (item.notice or "") for item in run.items), run.items
    assert run.config["thresholds"] == ["min_support=1.01"]
    assert run.config["settings"] == ["reader_sentences=6"]


def test_cli_rejects_an_unknown_set_key_naming_settings_and_thresholds(tmp_path: Path) -> None:
    result = _rag(["eval", "--set", "min_suport=0.3"], tmp_path / "empty")
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "'min_suport' is neither a setting" in message
    assert "reader_sentences" in message and "min_support" in message


@pytest.fixture(scope="module")
def api_url(data_dir: Path) -> Iterator[str]:
    """`rag serve` over the ingested samples on a free port."""
    port = free_port()
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_LLM": "extractive"}
    proc = subprocess.Popen(
        [str(RAG), "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", proc, timeout_s=120)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_cli_runs_the_gold_set_against_the_api(
    tmp_path: Path, api_url: str, extractive_run: EvalRun
) -> None:
    gold = _small_gold(tmp_path / "gold.jsonl", extractive_run, [])
    out = tmp_path / "api.json"
    result = _rag(
        [
            "eval",
            "--api",
            api_url,
            "--gold",
            str(gold),
            "--generator",
            "extractive",
            "--json",
            str(out),
        ],
        tmp_path / "unused",
    )
    # Default gates: what the API cannot show (verbatim quotes) is skipped, not failed.
    assert result.returncode == 0, result.stderr
    (run,) = load_runs(out).values()
    assert run.summary["answer_accuracy"] == 1.0
    assert run.summary["hit_at_5"] is None and run.summary["verbatim_quote_rate"] is None
    assert run.summary["citation_recall"] is not None
    assert all(not item.retrieval_judged for item in run.items)
    assert run.config["api"] == api_url
