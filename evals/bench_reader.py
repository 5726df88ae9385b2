"""The reader's accuracy and latency against N, the number of candidate sentences it reads.

Prompt evaluation on CPU costs time in proportion to prompt tokens, so N trades answers
for seconds: the curve is what `RAG_READER_SENTENCES` is chosen from. It runs the `local`
generator over gold items on the configured collection (ingest the corpus the gold set
is about first) once per N, with no token budget in the way, and records each run's
headline metrics beside the reader's mean prompt size. How well the sentences are
ranked decides how small N can be, so the ranking's recall (the share of answerable items
whose gold evidence sentence is among the N best candidates) is measured first, without
the LLM.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from evals.answerers import assistant_answerer
from evals.gold import GoldItem
from evals.metrics import citation_correct
from evals.runner import run_eval
from rag.grounding.citations import citation_for
from rag.retrieval.corpus import Corpus
from rag.settings import Settings

if TYPE_CHECKING:
    from rag.pipeline import Assistant

_NO_BUDGET = 100_000
_TOKEN_SAMPLE = 10
CURVE_METRICS = (
    "answer_accuracy",
    "wrong_answer_rate",
    "refusal_accuracy",
    "citation_precision",
    "latency_ms_p50",
    "latency_ms_p95",
)


def reader_curve(
    settings: Settings,
    items: Sequence[GoldItem],
    sizes: Sequence[int],
    on_item: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """One row per N: N, the reader's mean candidate tokens, and CURVE_METRICS."""
    from rag.pipeline import Assistant

    corpus = Corpus(settings)
    rows: list[dict[str, Any]] = []
    try:
        for n in sizes:
            update = {"reader_sentences": n, "reader_budget_tokens": _NO_BUDGET}
            assistant = Assistant(settings.model_copy(update=update), corpus=corpus)
            answerer = assistant_answerer(assistant, "local", None)
            run = run_eval(
                items, answerer, corpus.manifest.article_text, {"reader_sentences": n},
                on_item=lambda _: on_item() if on_item else None,
            )  # fmt: skip
            tokens = _candidate_tokens(assistant, items[:_TOKEN_SAMPLE])
            assistant.close_clients()  # the corpus is shared by every N
            rows.append(
                {"n": n, "candidate_tokens_mean": tokens}
                | {m: run.summary.get(m) for m in CURVE_METRICS}
            )
    finally:
        corpus.close()
    return rows


def _candidate_tokens(assistant: Assistant, items: Sequence[GoldItem]) -> float:
    """Mean tokens of the candidate sentences the reader gets for ``items``."""
    from rag.adapters.tokens import count_tokens

    sizes = []
    for item in items:
        hits = assistant.retriever.retrieve(item.question, assistant.settings.top_k)
        numbered = assistant.candidates(item.question, hits).numbered
        sizes.append(sum(count_tokens(s.text) for _, s in numbered))
    return round(sum(sizes) / max(1, len(sizes)), 1)


def evidence_recall(
    settings: Settings, items: Sequence[GoldItem], sizes: Sequence[int]
) -> dict[str, float | None]:
    """For each N, the share of answerable ``items`` whose evidence is in the N best
    candidates (all sentences of the retrieved chunks, ranked as the reader gets them)."""
    from rag.generation.candidates import ranked_candidates
    from rag.pipeline import Assistant
    from rag.turn import Evidence

    answerable = [item for item in items if item.answerable]
    assistant = Assistant(settings)
    manifest = assistant.corpus.manifest
    ranks: list[int | None] = []
    try:
        for item in answerable:
            hits = assistant.retriever.retrieve(item.question, settings.top_k)
            evidence = Evidence.of(item.question, hits, assistant.similarity, manifest.article_text)
            ranked = ranked_candidates(evidence)
            texts = {s: text for s in item.sources if (text := manifest.article_text(s))}
            found = (
                i
                for i, scored in enumerate(ranked, start=1)
                if citation_correct(citation_for(1, scored.sentence), item, texts)
            )
            ranks.append(next(found, None))
    finally:
        assistant.close()
    return {
        str(n): round(sum(1 for r in ranks if r is not None and r <= n) / len(ranks), 3)
        if ranks
        else None
        for n in sizes
    }
