"""The eval's metrics: pure functions of answers, citations, retrieved chunks and gold items.

No I/O here: the runner gathers texts and timings, these functions only judge them, so
every definition is unit-tested on its own. A metric that no item applies to is None,
never 0, so "not measured" cannot pass for "failed".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import TypedDict

from pydantic import BaseModel, ConfigDict, Field

from evals.gold import GoldItem, source_matches
from rag.types import Citation

# Digit grouping ("10,000", "10 000" with a no-break space) is dropped, so every way of
# writing a number normalizes alike. Runs before NFKC, which turns no-break spaces into
# ordinary ones.
_THOUSANDS = re.compile(r"(?<=\d)[,\u00a0\u202f\u2009](?=\d{3}(?!\d))")
# "2,271st" and "£9m" hold a number glued to a word; split them so the number matches alone.
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_ARTICLES = frozenset({"a", "an", "the"})
# Shortest shared run that makes a chunk overlap an evidence string it does not contain:
# half the evidence, but never so few characters that common words could produce it.
_MIN_OVERLAP_CHARS = 20


def normalize(text: str) -> str:
    """NFKC, casefold, digit grouping dropped, punctuation (any Unicode P* character,
    typographic quotes and dashes included) to spaces, numbers split from letters,
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", _THOUSANDS.sub("", text)).casefold()
    text = "".join(" " if unicodedata.category(ch).startswith("P") else ch for ch in text)
    return " ".join(_DIGIT_LETTER.sub(" ", text).split())


def _contains_normalized(text: str, phrase: str) -> bool:
    # Word boundaries, so "us" does not match inside "Russia"; an empty phrase never matches.
    return bool(phrase) and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def answer_correct(answer_text: str, refused: bool, item: GoldItem) -> bool:
    """Unanswerable: correct iff refused. Answerable: not refused and every must_contain
    group matched by one of its aliases. Either way, no must_not_contain string may appear."""
    text = normalize(answer_text)
    if any(_contains_normalized(text, normalize(bad)) for bad in item.must_not_contain):
        return False
    if not item.answerable:
        return refused
    return not refused and all(
        any(_contains_normalized(text, normalize(alias)) for alias in group)
        for group in item.must_contain
    )


def token_f1(pred: str, gold: str) -> float:
    """SQuAD-style F1 of the normalized word tokens (English articles dropped); 1.0 when
    both are empty, 0.0 when only one is."""
    pred_tokens = [t for t in normalize(pred).split() if t not in _ARTICLES]
    gold_tokens = [t for t in normalize(gold).split() if t not in _ARTICLES]
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    common = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def citation_correct(citation: Citation, item: GoldItem, source_texts: Mapping[str, str]) -> bool:
    """True when the quote overlaps a gold evidence string: normalized containment either
    way (in any source, so a duplicate article's copy counts), or, when the citation names
    a gold source, its character span intersects an occurrence of the evidence there."""
    quote = normalize(citation.quote)
    for evidence in item.evidence:
        normalized = normalize(evidence)
        if _contains_normalized(quote, normalized) or _contains_normalized(normalized, quote):
            return True
    if not any(source_matches(citation.source, gold) for gold in item.sources):
        return False
    text = _source_text(source_texts, citation.source)
    if text is None:
        return False
    return any(
        citation.start < end and start < citation.end
        for evidence in item.evidence
        for start, end in _occurrences(text, evidence)
    )


def citation_precision(
    citations: Sequence[Citation], item: GoldItem, source_texts: Mapping[str, str]
) -> float | None:
    """Share of the citations that are correct (see citation_correct); None without citations."""
    return _share(citation_correct(c, item, source_texts) for c in citations)


def citation_recall(citations: Sequence[Citation], item: GoldItem) -> float | None:
    """Share of the item's gold sources that some citation names; None when it has none.

    A fact stated by two articles lists both, so citing one of them scores 0.5.
    """
    return _share(any(source_matches(c.source, gold) for c in citations) for gold in item.sources)


def verbatim_rate(citations: Sequence[Citation], source_texts: Mapping[str, str]) -> float | None:
    """Share of citations whose quote is exactly source_text[start:end] (an unknown source
    fails); None without citations."""
    return _share(_is_verbatim(c, source_texts) for c in citations)


def hit_rank(retrieved: Sequence[tuple[str, str]], item: GoldItem) -> int | None:
    """1-based rank of the first retrieved (source, text) chunk that comes from a gold
    source and holds a normalized evidence string or overlaps one (shares a run of half
    of it, at least 20 characters or all of a shorter one); None when no chunk does."""
    evidence = [e for e in (normalize(text) for text in item.evidence) if e]
    for rank, (source, text) in enumerate(retrieved, start=1):
        if not any(source_matches(source, gold) for gold in item.sources):
            continue
        chunk = normalize(text)
        if any(_overlaps(chunk, e) for e in evidence):
            return rank
    return None


def mrr(ranks: Sequence[int | None]) -> float | None:
    """Mean reciprocal rank, a miss (None) counting 0; None for no items."""
    return _mean([0.0 if rank is None else 1.0 / rank for rank in ranks])


def hit_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of items whose first hit ranks at most ``k``; None for no items."""
    return _share(rank is not None and rank <= k for rank in ranks)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0-100), interpolating linearly between ranks; None when empty."""
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class Latency(BaseModel):
    """Milliseconds spent on one question."""

    model_config = ConfigDict(frozen=True)

    retrieve: float = Field(default=0.0, ge=0)
    generate: float = Field(default=0.0, ge=0)
    total: float = Field(ge=0)


class ItemResult(BaseModel):
    """What the eval measured for one gold item; the per-item inputs of summarize."""

    model_config = ConfigDict(frozen=True)

    id: str
    tags: list[str] = Field(default_factory=list)
    answerable: bool
    refused: bool
    correct: bool
    f1: float = Field(ge=0, le=1)
    citation_precision: float | None = None
    citation_recall: float | None = None
    verbatim_rate: float | None = None
    hit_rank: int | None = Field(default=None, ge=1, description="None: no gold chunk found.")
    retrieval_judged: bool = Field(
        default=True, description="False when the retrieved list was not available (API runs)."
    )
    latency_ms: Latency


class Summary(TypedDict):
    """The headline numbers of an eval run; see summarize for each definition."""

    n: int
    answer_accuracy: float | None
    refusal_accuracy: float | None
    false_refusal_rate: float | None
    wrong_answer_rate: float | None
    citation_precision: float | None
    citation_recall: float | None
    verbatim_quote_rate: float | None
    hit_at_5: float | None
    mrr: float | None
    latency_ms_p50: float | None
    latency_ms_p95: float | None


def summarize(results: Sequence[ItemResult]) -> Summary:
    """Aggregate item results; each value is None when no item applies.

    - answer_accuracy: share of all items answered correctly.
    - refusal_accuracy: share of unanswerable items that were refused.
    - false_refusal_rate: share of answerable items that were refused.
    - wrong_answer_rate: share of all items answered (not refused) but not correctly; an
      answer to an unanswerable item is wrong. Worse than a refusal, so watched apart.
    - citation_precision: mean over answered (not refused) items that have citations.
    - citation_recall: mean over items with gold sources (refusals count 0).
    - verbatim_quote_rate: mean over items with citations.
    - hit_at_5, mrr: over answerable items whose retrieval was judged.
    - latency_ms_p50/p95: percentiles of the total latency.
    """
    answerable = [r for r in results if r.answerable]
    judged = [r.hit_rank for r in answerable if r.retrieval_judged]
    return Summary(
        n=len(results),
        answer_accuracy=_share(r.correct for r in results),
        refusal_accuracy=_share(r.refused for r in results if not r.answerable),
        false_refusal_rate=_share(r.refused for r in answerable),
        wrong_answer_rate=_share(not r.refused and not r.correct for r in results),
        citation_precision=_mean_of(results, lambda r: None if r.refused else r.citation_precision),
        citation_recall=_mean_of(results, lambda r: r.citation_recall),
        verbatim_quote_rate=_mean_of(results, lambda r: r.verbatim_rate),
        hit_at_5=hit_at_k(judged, 5),
        mrr=mrr(judged),
        latency_ms_p50=percentile([r.latency_ms.total for r in results], 50),
        latency_ms_p95=percentile([r.latency_ms.total for r in results], 95),
    )


def summarize_by_tag(results: Sequence[ItemResult]) -> dict[str, Summary]:
    """summarize over the items carrying each tag, tags in alphabetical order."""
    tags = sorted({tag for r in results for tag in r.tags})
    return {tag: summarize([r for r in results if tag in r.tags]) for tag in tags}


def _share(flags: Iterable[bool]) -> float | None:
    return _mean([float(flag) for flag in flags])


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _mean_of(
    results: Sequence[ItemResult], value: Callable[[ItemResult], float | None]
) -> float | None:
    return _mean([v for v in map(value, results) if v is not None])


def _source_text(source_texts: Mapping[str, str], source: str) -> str | None:
    if source in source_texts:
        return source_texts[source]
    return next((t for name, t in source_texts.items() if source_matches(source, name)), None)


def _occurrences(text: str, passage: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = text.find(passage)
    while passage and start != -1:
        spans.append((start, start + len(passage)))
        start = text.find(passage, start + 1)
    return spans


def _is_verbatim(citation: Citation, source_texts: Mapping[str, str]) -> bool:
    text = _source_text(source_texts, citation.source)
    return text is not None and text[citation.start : citation.end] == citation.quote


def _overlaps(chunk: str, evidence: str) -> bool:
    if evidence in chunk:
        return True
    need = min(len(evidence), max(math.ceil(len(evidence) / 2), _MIN_OVERLAP_CHARS))
    match = SequenceMatcher(None, chunk, evidence, autojunk=False).find_longest_match(
        0, len(chunk), 0, len(evidence)
    )
    return match.size >= need
