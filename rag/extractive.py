"""The LLM-free generator: answer with the best supporting sentences of the retrieved chunks.

Every source sentence is scored against the question (``rag.support``: idf-weighted
content-word coverage plus embedding similarity, so a Ukrainian question can still pick
an English sentence), then adjusted for what the question asks:

- a "when" or "how many" question needs a sentence that states a time or a number;
  one that states none keeps only TYPE_PENALTY of its support;
- "how many artillery shells", "the capital of": a sentence that mentions none of the
  focus words keeps only FOCUS_PENALTY of its support. This is what stops "North Korea
  sent over 10,000 troops" from answering a question about shells;
- likewise for the names the question mentions ("Australia"): the idf weights come from
  the retrieved sentences, so when they all mention Australia a sentence about another
  country's capital would otherwise cover most of the question's weight. Names in
  another script than the sentence are not judged;
- ranking only, never support: a "who" question prefers sentences naming people
  (WHO_BONUS), and any question prefers sentences repeating its adjacent word pairs
  (PHRASE_BONUS: "ratification documents" together, or "ратифікаційними документами"
  transliterated).

The bonuses and penalties were set on the calibration questions of ``rag.support``: the
focus and name penalties moved 9-12 of 26 unanswerable English questions below
MIN_SUPPORT at the cost of one answerable one; the type penalty and the bonuses each
changed which sentence came first for at most one of 48 answerable questions.

The answer is the best sentence, plus the runner-up when it is nearly as good
(SECOND_RATIO), clearly relevant on its own, and says something else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .citations import Grounded, citation_for, with_markers
from .facts import (
    KIND_WORDS,
    VALUE_KINDS,
    ValueKind,
    focus_words,
    has_value,
    mentions,
    names,
    proper_words,
    question_kind,
    question_terms,
    words,
)
from .overlap import content_sequence, content_terms, covers, is_cyrillic, key, phrase_coverage
from .refusal import MIN_SUPPORT
from .sentences import SourceSentence, chunk_sentences
from .support import support_scores
from .types import Hit, Similarity

TYPE_PENALTY = 0.6
FOCUS_PENALTY = 0.5
WHO_BONUS = 0.08
PHRASE_BONUS = 0.15
SECOND_RATIO = 0.8
# Two sentences sharing this share of their content terms say the same thing.
_DUPLICATE_OVERLAP = 0.7


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    """A source sentence with its support for the question and its ranking score."""

    sentence: SourceSentence
    support: float
    score: float


def unique_sentences(hits: Sequence[Hit]) -> list[SourceSentence]:
    """Sentences of all hits in hit order; overlapping chunks repeat sentences, kept once."""
    seen: dict[tuple[str, int, int], SourceSentence] = {}
    for hit in hits:
        for sentence in chunk_sentences(hit):
            seen.setdefault((sentence.source, sentence.start, sentence.end), sentence)
    return list(seen.values())


def rank_sentences(
    question: str, hits: Sequence[Hit], similarity: Similarity | None
) -> list[ScoredSentence]:
    """Every sentence of ``hits``, best answer first."""
    sentences = unique_sentences(hits)
    supports = support_scores(
        question, [s.text for s in sentences], similarity, question_terms(question)
    )
    needs = _Needs.of(question)
    scored = [
        ScoredSentence(sentence, *needs.adjust(sentence.text, support.value))
        for sentence, support in zip(sentences, supports, strict=True)
    ]
    return sorted(scored, key=lambda s: -s.score)


@dataclass(frozen=True, slots=True)
class _Needs:
    """What an answering sentence must, or should, contain for this question."""

    kinds: frozenset[ValueKind]
    focus: frozenset[str]
    entities: tuple[str, ...]
    who: bool
    asked: frozenset[str]
    sequence: tuple[str, ...]

    @classmethod
    def of(cls, question: str) -> _Needs:
        kind = question_kind(question)
        kind_keys = {key(w) for w in KIND_WORDS}
        return cls(
            kinds=VALUE_KINDS[kind] if kind else frozenset(),
            focus=frozenset(key(w) for w in focus_words(question)),
            entities=tuple(w for w in proper_words(question) if w.lower() not in KIND_WORDS),
            who=kind == "who",
            asked=frozenset(w.lower() for w in words(question)),
            sequence=tuple(k for k in content_sequence(question) if k not in kind_keys),
        )

    def adjust(self, text: str, support: float) -> tuple[float, float]:
        """(support, ranking score) of a sentence after the question's needs."""
        terms = content_terms(text)
        if self.kinds and not has_value(self.kinds, text):
            support *= TYPE_PENALTY
        if self.focus and not any(covers(f, terms) for f in self.focus):
            support *= FOCUS_PENALTY
        judged = [e for e in self.entities if is_cyrillic(e) == is_cyrillic(text)]
        if judged and not any(mentions(text, e) for e in judged):
            support *= FOCUS_PENALTY
        bonus = PHRASE_BONUS * phrase_coverage(self.sequence, content_sequence(text))
        if self.who:
            new_names = {n for n in names(text) if n.lower() not in self.asked}
            bonus += WHO_BONUS * min(1.0, len(new_names) / 3)
        return support, support + bonus


def extractive_answer(
    question: str, hits: Sequence[Hit], similarity: Similarity | None, max_sentences: int = 2
) -> Grounded:
    """Compose "sentence [1] sentence [2]" from the best sentences, with their citations."""
    ranked = rank_sentences(question, hits, similarity)
    chosen = _choose(ranked, max_sentences)
    citations = tuple(citation_for(n, item.sentence) for n, item in enumerate(chosen, start=1))
    text = " ".join(with_markers(item.sentence.text, [n]) for n, item in enumerate(chosen, start=1))
    return Grounded(
        answer=text,
        citations=citations,
        supporting=tuple((item.sentence, n) for n, item in enumerate(chosen, start=1)),
        support=ranked[0].support if ranked else 0.0,
    )


def _choose(ranked: list[ScoredSentence], max_sentences: int) -> list[ScoredSentence]:
    if not ranked or max_sentences < 1:
        return []
    chosen = [ranked[0]]
    for item in ranked[1:]:
        if len(chosen) >= max_sentences or item.score < SECOND_RATIO * ranked[0].score:
            break
        if item.support >= MIN_SUPPORT and not any(_same_claim(item, c) for c in chosen):
            chosen.append(item)
    return chosen


def _same_claim(a: ScoredSentence, b: ScoredSentence) -> bool:
    terms_a, terms_b = content_terms(a.sentence.text), content_terms(b.sentence.text)
    shared = len(terms_a & terms_b) / max(1, min(len(terms_a), len(terms_b)))
    return shared >= _DUPLICATE_OVERLAP
