"""The installed `rag` console script as a shell sees it: exit codes, help, version, and
output meant for pipes. Run as a subprocess, since `main()` (not click's runner) decides
the exit status."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.api_server import ingest_samples, run_rag
from tests.conftest import ROOT

pytestmark = pytest.mark.integration

# Loaded by the interpreter before `rag` runs (sitecustomize on PYTHONPATH): the benchmark
# is replaced by one whose soak lost a document, so only the exit path is exercised.
_FAILED_SOAK = """
from dataclasses import asdict

import evals.bench
from evals.bench_soak import SoakLog, memory_trend, summarise


def _bench(plan, settings):
    log = SoakLog(kept={"a.txt", "b.txt"}, deleted=set())
    trend = memory_trend([(float(t), 300.0) for t in range(12)], peak_mb=300.0)
    return {"soak": asdict(summarise(log, {"a.txt"}, trend, clients=1, seconds=12))}


evals.bench.run_bench = _bench
"""


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    ingest_samples(data_dir)
    return data_dir


def test_a_failed_soak_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(_FAILED_SOAK, encoding="utf-8")
    out = tmp_path / "bench.json"
    done = run_rag(
        "bench", "--quick", "--soak", "12", "--json", str(out),
        data_dir=tmp_path / "data", env={"PYTHONPATH": f"{tmp_path / 'site'}:{ROOT}"},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "soak failed: 1 lost documents" in done.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["soak"]["lost_documents"] == ["b.txt"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["docs", "delete", "nothing-like-it.txt"], 3, "nothing-like-it.txt"),
        (["eval", "--fail-under", "speed=1"], 2, "--fail-under 'speed=1'"),
        (["llm-server", "restart"], 2, "'restart' is not one of 'start', 'stop', 'status'"),
        (["ask"], 2, "Missing argument 'question'"),
    ],
)
def test_failing_commands_exit_with_their_code(
    ingested: Path, args: list[str], code: int, message: str
) -> None:
    done = run_rag(*args, data_dir=ingested)
    assert done.returncode == code, done.stdout + done.stderr
    assert message in " ".join(done.stderr.split()), done.stderr


def test_version(tmp_path: Path) -> None:
    done = run_rag("--version", data_dir=tmp_path)
    assert done.returncode == 0 and done.stdout == f"rag (news-rag) {version('news-rag')}\n"


def test_help_is_for_users_and_names_the_choices(tmp_path: Path) -> None:
    top = run_rag("--help", data_dir=tmp_path)
    assert top.returncode == 0
    assert "Ask questions about a folder of news articles" in top.stdout
    assert "9 an eval quality gate failed" in " ".join(top.stdout.split())
    assert "Expected failures become" not in top.stdout
    server = run_rag("llm-server", "--help", data_dir=tmp_path)
    assert server.returncode == 0 and "start|stop|status" in server.stdout


def test_docs_list_in_a_pipe_prints_whole_tab_separated_values(ingested: Path) -> None:
    listed = run_rag("docs", "list", data_dir=ingested)
    assert listed.returncode == 0, listed.stderr
    as_json: list[dict[str, Any]] = json.loads(
        run_rag("docs", "list", "--json", data_dir=ingested).stdout
    )
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    expected = [
        [
            d["doc_id"],
            d["source"],
            " ".join((d["title"] or "").split()),
            str(d["chunks"]),
            d["published"] or "",
            d["ingested_at"],
        ]
        for d in as_json
    ]
    assert rows == expected and len(rows) == len(list((ROOT / "data" / "sources").iterdir()))
    assert "…" not in listed.stdout
