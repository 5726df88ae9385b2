"""The soak's bookkeeping on hand-made logs: what it must catch, it catches."""

from __future__ import annotations

import pytest

from evals.bench_soak import (
    NO_RESPONSE,
    Call,
    SoakLog,
    memory_trend,
    require_loopback,
    summarise,
)
from evals.soak_facts import make_fact

pytestmark = pytest.mark.unit

FLAT = memory_trend([(float(t), 300.0) for t in range(9)], None)


def _log(statuses: list[int], kept: set[str], deleted: set[str]) -> SoakLog:
    log = SoakLog(kept=set(kept), deleted=set(deleted))
    for status in statuses:
        log.note(Call("ask", status, 10.0))
    return log


def test_a_kept_document_missing_from_the_listing_is_lost() -> None:
    log = _log([200], kept={"a.txt", "b.md"}, deleted=set())
    result = summarise(log, {"a.txt", "sample.txt"}, FLAT, clients=1, seconds=1)
    assert result.lost_documents == ["b.md"]
    assert result.kept == 2 and result.uploaded == 2


def test_a_deleted_document_still_listed_is_resurrected() -> None:
    log = _log([200], kept={"a.txt"}, deleted={"gone.txt"})
    result = summarise(log, {"a.txt", "gone.txt"}, FLAT, clients=1, seconds=1)
    assert result.lost_documents == []
    assert result.resurrected_documents == ["gone.txt"]


def test_server_errors_are_counted_apart_from_other_failures() -> None:
    log = _log([200, 201, 500, 504, 409, 404, NO_RESPONSE], kept=set(), deleted=set())
    result = summarise(log, set(), FLAT, clients=2, seconds=3)
    assert result.server_errors == 2
    assert result.other_errors == 3
    assert result.statuses == {
        "200": 1, "201": 1, "404": 1, "409": 1, "500": 1, "504": 1, "no_response": 1,
    }  # fmt: skip
    assert result.requests == {"ask": 7}
    assert set(result.latency_ms["ask"]) == {"p50", "p95", "p99"}


def test_memory_growth_compares_the_first_and_last_thirds() -> None:
    rss = [100.0, 110.0, 100.0, 150.0, 150.0, 150.0, 200.0, 210.0, 200.0]
    trend = memory_trend([(float(t), mb) for t, mb in enumerate(rss)], peak_mb=250.0)
    assert (trend.first_third_mb, trend.last_third_mb) == (100.0, 200.0)
    assert trend.growth_mb == 100.0 and trend.growth_pct == 100.0
    assert (trend.start_mb, trend.end_mb, trend.peak_mb) == (100.0, 200.0, 250.0)


def test_a_single_spike_does_not_count_as_growth() -> None:
    rss = [300.0, 300.0, 300.0, 300.0, 300.0, 300.0, 300.0, 900.0, 300.0]
    trend = memory_trend([(float(t), mb) for t, mb in enumerate(rss)], peak_mb=None)
    assert trend.growth_mb == 0.0
    assert trend.peak_mb == 900.0


def test_too_few_samples_give_no_trend() -> None:
    trend = memory_trend([(0.0, 300.0), (1.0, 310.0)], peak_mb=None)
    assert trend.growth_mb is None and trend.start_mb is None


def test_generated_articles_are_unique_and_answer_their_question() -> None:
    facts = [make_fact("run1", client, n) for client in range(4) for n in range(50)]
    assert len({f.source for f in facts}) == len(facts)
    assert len({f.question for f in facts}) == len(facts)
    assert {f.source.rsplit(".", 1)[1] for f in facts} == {"txt", "md"}
    for fact in facts:
        assert fact.value in fact.text
        name = fact.question.split(" the ")[1].split()[0]
        assert name in fact.text


def test_the_same_seed_gives_the_same_article() -> None:
    assert make_fact("r", 1, 2) == make_fact("r", 1, 2)
    assert make_fact("r", 1, 2) != make_fact("s", 1, 2)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000", "http://localhost:1", "http://[::1]:9"])
def test_loopback_urls_are_accepted(url: str) -> None:
    require_loopback(url)


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "https://example.com", "http://0.0.0.0"])
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(url)
