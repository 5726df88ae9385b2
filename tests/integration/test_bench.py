"""`rag bench --quick` end to end: a real ingest, real servers, a JSON of the agreed shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.api_server import copy_index
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

RAG = str(Path(sys.executable).with_name("rag"))
LATENCY_KEYS = {"p50_ms", "p95_ms", "p99_ms"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, llm_server: str) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    # The session's reader server, not one of the benchmark's own: one 1.5B server per
    # test session (loading it and warming its prompt cache again costs tens of seconds).
    env |= {"RAG_DATA_DIR": str(ROOT / "data"), "RAG_LLM_BASE_URL": llm_server}
    subprocess.run(
        [RAG, "bench", "--quick", "--json", str(out / "b.json"), "--report", str(out / "b.html")],
        env=env,
        cwd=out,
        check=True,
        timeout=900,
    )
    result = json.loads((out / "b.json").read_text(encoding="utf-8"))
    return result, (out / "b.html").read_text(encoding="utf-8")


@pytest.mark.timeout(900)
def test_json_has_every_section(bench: tuple[dict[str, Any], str]) -> None:
    result, _ = bench
    assert set(result) == {"ingest", "retrieval", "e2e", "concurrency", "memory", "config"}
    assert {"chunks_per_s", "raw_embed_per_s", "ratio", "reingest_speedup"} <= set(result["ingest"])
    sizes = {str(size) for size in result["config"]["sizes"]}
    for name in ("ours", "peer", "raw_dense"):
        assert set(result["retrieval"][name]) == sizes
        for summary in result["retrieval"][name].values():
            assert set(summary) == LATENCY_KEYS
    assert set(result["retrieval"]["query_embed_ms"]) == {"p50", "p95"}
    assert {"extractive", "local", "llm_direct", "total_overhead"} <= set(result["e2e"])
    assert result["memory"]["server_peak_rss_mb"] > 0


@pytest.mark.timeout(900)
def test_reingest_embeds_nothing(bench: tuple[dict[str, Any], str]) -> None:
    result, _ = bench
    assert result["ingest"]["chunks"] > 0
    assert result["ingest"]["reingest_new_vectors"] == 0


@pytest.mark.timeout(900)
def test_load_has_no_errors(bench: tuple[dict[str, Any], str]) -> None:
    result, _ = bench
    assert set(result["concurrency"]) == {"1", "8", "32"}
    for run in result["concurrency"].values():
        assert run["errors"] == 0
        assert run["requests"] == run["clients"] * result["config"]["per_client"]


@pytest.mark.timeout(900)
def test_report_inlines_both_plots(bench: tuple[dict[str, Any], str]) -> None:
    _, page = bench
    assert page.count('<img alt="') == 2
    assert page.count('src="data:image/png;base64,') == 2
    assert "reingest_new_vectors" in page


@pytest.mark.timeout(900)
def test_reader_curve_measures_each_n_against_the_real_reader(
    index: Path, tmp_path: Path, llm_server: str
) -> None:
    data_dir = copy_index(index, tmp_path / "data")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env |= {"RAG_DATA_DIR": str(data_dir), "RAG_LLM_BASE_URL": llm_server}
    out = tmp_path / "curve.json"
    command = [RAG, "bench", "--reader-curve", str(ROOT / "evals" / "data" / "gold.jsonl")]
    command += ["--curve-n", "2,6", "--curve-items", "2", "--json", str(out)]
    command += ["--report", str(tmp_path / "curve.html")]
    subprocess.run(command, env=env, cwd=tmp_path, check=True, timeout=800)
    result = json.loads(out.read_text(encoding="utf-8"))
    assert [row["n"] for row in result["reader_curve"]] == [2, 6]
    small, large = result["reader_curve"]
    assert 0 < small["candidate_tokens_mean"] < large["candidate_tokens_mean"]
    assert all(
        row["answer_accuracy"] is not None and row["latency_ms_p50"] for row in (small, large)
    )
    recall = result["evidence_recall"]
    assert set(recall) == {"1", "2", "6", "30"} and recall["1"] <= recall["6"] <= recall["30"]
    page = (tmp_path / "curve.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 1
