"""Runs gold items through one answerer and judges every answer with evals.metrics.

The runner knows nothing of how an answer is produced (in-process assistant, HTTP API,
the llama-index baseline): an ``Answerer`` maps a gold item to an ``Outcome``. Nor does
it read files: source texts arrive through a ``SourceTexts`` lookup, or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from evals.gold import GoldItem
from evals.metrics import (
    Latency,
    Summary,
    answer_correct,
    citation_precision,
    citation_recall,
    hit_rank,
    summarize,
    summarize_by_tag,
    token_f1,
    verbatim_rate,
)
from evals.results import EvalRun, ItemRecord, SummaryValues
from rag.errors import InputError
from rag.types import Answer


@dataclass(frozen=True)
class Outcome:
    """One answer and, when the answerer can see it, what retrieval returned."""

    answer: Answer
    retrieved: Sequence[tuple[str, str]] | None = None
    """(source, chunk text) best first; None when retrieval is hidden (API runs)."""


Answerer = Callable[[GoldItem], Outcome]
SourceTexts = Callable[[str], str | None]
"""A source path to the full text its citations index into; None for an unknown source."""
OnItem = Callable[[ItemRecord], None]


def cited_texts(answer: Answer, texts: SourceTexts) -> dict[str, str]:
    """The full text of every source the answer cites (unknown sources left out)."""
    found: dict[str, str] = {}
    for source in {c.source for c in answer.citations}:
        text = texts(source)
        if text is not None:
            found[source] = text
    return found


def latency_of(answer: Answer, wall_ms: float) -> Latency:
    """The answerer's own timings; the measured wall time when it reports no total."""
    timings = answer.timings_ms
    return Latency(
        retrieve=max(timings.get("retrieve", 0.0), 0.0),
        generate=max(timings.get("generate", 0.0), 0.0),
        total=max(timings.get("total", wall_ms), 0.0),
    )


def judge(
    item: GoldItem, outcome: Outcome, texts: Mapping[str, str] | None, wall_ms: float
) -> ItemRecord:
    """Score one answer. ``texts`` None means source texts are unavailable: the citation
    metrics that need them (precision, verbatim rate) are then None, not guessed."""
    answer = outcome.answer
    retrieved = outcome.retrieved
    return ItemRecord(
        id=item.id,
        tags=item.tags,
        answerable=item.answerable,
        refused=answer.refused,
        correct=answer_correct(answer.answer, answer.refused, item),
        f1=token_f1(answer.answer, item.answer),
        citation_precision=(
            None if texts is None else citation_precision(answer.citations, item, texts)
        ),
        citation_recall=citation_recall(answer.citations, item),
        verbatim_rate=None if texts is None else verbatim_rate(answer.citations, texts),
        hit_rank=None if retrieved is None else hit_rank(retrieved, item),
        retrieval_judged=retrieved is not None,
        latency_ms=latency_of(answer, wall_ms),
        question=item.question,
        history=item.history,
        answer=answer.answer,
        citations=answer.citations,
        conflicts=answer.conflicts,
        notice=answer.notice,
        gold_answer=item.answer,
        evidence=item.evidence,
        gold_sources=item.sources,
    )


def run_eval(
    items: Sequence[GoldItem],
    answerer: Answerer,
    texts: SourceTexts | None,
    config: Mapping[str, Any],
    on_item: OnItem | None = None,
) -> EvalRun:
    """Answer and judge every item in order; ``on_item`` sees each result (progress bars)."""
    records: list[ItemRecord] = []
    for item in items:
        started = time.perf_counter()
        outcome = answerer(item)
        wall_ms = (time.perf_counter() - started) * 1000
        available = None if texts is None else cited_texts(outcome.answer, texts)
        record = judge(item, outcome, available, wall_ms)
        records.append(record)
        if on_item is not None:
            on_item(record)
    return EvalRun(
        summary=_values(summarize(records)),
        by_tag={tag: _values(s) for tag, s in summarize_by_tag(records).items()},
        items=records,
        config=dict(config),
    )


def _values(summary: Summary) -> SummaryValues:
    # Summary is a TypedDict of numbers; pydantic (on Python 3.11) stores it as a plain dict.
    return cast(SummaryValues, dict(summary))


def merge_gold(sets: Iterable[Sequence[GoldItem]]) -> list[GoldItem]:
    """Several gold files as one set; an id in two files is an error (results key on ids)."""
    merged: list[GoldItem] = []
    seen: set[str] = set()
    for items in sets:
        for item in items:
            if item.id in seen:
                raise InputError(f"gold item id {item.id!r} appears in more than one gold file")
            seen.add(item.id)
            merged.append(item)
    return merged
