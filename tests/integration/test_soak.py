"""Soak: concurrent clients asking, uploading and deleting against a real `rag serve`.

The quick soak (six clients, 25 s) runs with every `make test`; the long one (eight
clients, five minutes) only with RAG_SLOW_TESTS=1, and `rag bench --soak SECONDS` runs
the same load for as long as asked. Nothing here asserts speed: the machine is shared.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from evals.bench import DEFAULT_GOLD
from evals.bench_soak import SoakPlan, SoakResult, run_soak
from evals.gold import load_gold
from evals.soak_facts import make_fact
from tests.api_server import ServedAPI, copy_index, serve

pytestmark = pytest.mark.integration

QUICK = SoakPlan(clients=6, seconds=25)
LONG = SoakPlan(clients=8, seconds=300)
# Generous on purpose: an unbounded leak over a few hundred uploads passes it, a cache
# or index that keeps every request's data does not; the JSON reports the real growth.
GROWTH_LIMIT_MB = 150.0
SIMULTANEOUS_UPLOADS = 8


def _questions() -> list[str]:
    return [item.question for item in load_gold(DEFAULT_GOLD) if item.answerable]


@pytest.fixture(scope="module")
def api(index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    with serve(copy_index(index, tmp_path_factory.mktemp("soak") / "data")) as served:
        served.warm_up()
        yield served


@pytest.fixture(scope="module")
def quick(api: ServedAPI) -> SoakResult:
    return run_soak(api.url, api.process.pid, QUICK, _questions())


def assert_healthy(result: SoakResult) -> None:
    assert result.server_errors == 0, result.statuses
    assert result.other_errors == 0, result.statuses
    assert result.lost_documents == []
    assert result.resurrected_documents == []
    assert result.uncited_facts == []
    assert result.cited_deleted == []
    assert result.memory.growth_mb is not None
    assert result.memory.growth_mb < GROWTH_LIMIT_MB, result.memory


def test_every_kind_of_request_was_made(quick: SoakResult) -> None:
    kinds = {"ask", "upload", "ask_uploaded", "delete", "ask_deleted"}
    assert set(quick.requests) == kinds
    # Every client finished at least one whole cycle, so each check had something to check.
    assert quick.uploaded >= QUICK.clients
    assert quick.deleted >= QUICK.clients and quick.kept >= 1
    assert len(quick.memory.samples) >= QUICK.seconds / 2


def test_no_server_errors(quick: SoakResult) -> None:
    assert quick.server_errors == 0, quick.statuses


def test_concurrent_uploads_queue_instead_of_failing(quick: SoakResult) -> None:
    # A 409 "index is locked" between uploads of one server would show up here.
    assert quick.other_errors == 0, quick.statuses
    assert quick.requests["upload"] == quick.uploaded


def test_no_document_lost_and_deleted_ones_gone(quick: SoakResult) -> None:
    assert quick.lost_documents == []
    assert quick.resurrected_documents == []


def test_answers_cite_uploaded_documents_and_never_deleted_ones(quick: SoakResult) -> None:
    assert quick.requests["ask_uploaded"] == quick.uploaded
    assert quick.uncited_facts == []
    assert quick.cited_deleted == []


def test_memory_stays_bounded(quick: SoakResult) -> None:
    assert quick.memory.growth_mb is not None, quick.memory.samples
    assert quick.memory.growth_mb < GROWTH_LIMIT_MB, quick.memory


def test_simultaneous_uploads_through_the_api_all_land(api: ServedAPI) -> None:
    start = threading.Barrier(SIMULTANEOUS_UPLOADS)
    facts = [make_fact("burst", n, 0) for n in range(SIMULTANEOUS_UPLOADS)]

    def upload(n: int) -> int:
        files = {"file": (facts[n].source, facts[n].text.encode())}
        with httpx.Client(base_url=api.url, timeout=120) as client:
            start.wait()
            return client.post("/v1/documents", files=files).status_code

    with ThreadPoolExecutor(SIMULTANEOUS_UPLOADS) as pool:
        statuses = list(pool.map(upload, range(SIMULTANEOUS_UPLOADS)))
    assert statuses == [201] * SIMULTANEOUS_UPLOADS
    listed = {doc["source"] for doc in httpx.get(f"{api.url}/v1/documents", timeout=120).json()}
    assert {fact.source for fact in facts} <= listed


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_long_soak(index: Path, tmp_path: Path) -> None:
    with serve(copy_index(index, tmp_path / "data")) as served:
        served.warm_up()
        result = run_soak(served.url, served.process.pid, LONG, _questions())
    assert result.uploaded >= LONG.clients
    assert_healthy(result)
