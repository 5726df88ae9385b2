"""The LLM-free generator: answer with the best supporting sentence of the retrieved chunks.

Every source sentence is scored against the question (``rag.support``: idf-weighted
content-word coverage plus embedding similarity, so a Ukrainian question can still pick
an English sentence), then held to what the question asks (``rag.question``):

- it must state the kind of value asked for: a time for "when", a number for "how many",
  a duration for "how long", a name the question lacks for "who", and for "where" such a
  name after "in", "at", "to"... ("visit to Pyongyang"). One that does not keeps only
  MISSING_PENALTY of its support, which puts it under MIN_SUPPORT: "On what date did the
  Duma vote?" is not answered by the sentence on how it voted;
- a number must stand near (``facts.WINDOW`` words) a word of the question that is not a
  name: in "North Korea sent over 10,000 troops to assist Russia in its war against
  Ukraine" the number is about troops sent, so it does not answer "How many North
  Korean soldiers have been killed in Ukraine?" (Questions in another script than the
  sentence are not judged);
- it must mention the focus of "how many artillery shells", "the capital of", whoever
  the answer is attributed to ("according to experts"), and one of the names the
  question is about, as a whole name ("South Korea" is not mentioned by "North
  Korean"), else it keeps FOCUS_PENALTY of its support. Names in another script than
  the sentence are not judged;
- it must say something the question does not: a headline that only repeats the
  question's words ("News Brief") answers nothing;
- "according to <title>" limits the answer to that article;
- ranking only, never support: a "who" question prefers sentences naming people after a
  title or role, "leader Kim Jong-un" (WHO_BONUS), and any question prefers sentences
  repeating its adjacent word pairs (PHRASE_BONUS: "ratification documents" together, or
  "ратифікаційними документами" transliterated).

A question of several parts ("Who signed it, and who exchanged the documents?") gets the
best sentence for each part. One cited sentence per part keeps every citation an answer:
a second-best sentence is as often beside the point as it is a second witness (calibration
on the sample gold set: 2-sentence answers cited a non-evidence sentence in 22 of 48 answers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .citations import Grounded, citation_for, with_markers
from .facts import (
    ValueKind,
    has_value,
    mentions_name,
    names,
    near_values,
    people,
    person_names,
    places,
    words,
)
from .overlap import (
    content_sequence,
    content_terms,
    covers,
    is_cyrillic,
    key,
    phrase_coverage,
    proximity,
)
from .question import ANSWER_VALUES, KIND_WORDS, Question, analyse
from .refusal import MIN_SUPPORT
from .sentences import SourceSentence, chunk_sentences
from .support import support_scores
from .types import Hit, Similarity

MISSING_PENALTY = 0.25
FOCUS_PENALTY = 0.5
PHRASE_BONUS = 0.15
WHO_BONUS = 0.08
PROXIMITY_BONUS = 0.3


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


def analyse_for(question: str, hits: Sequence[Hit]) -> list[Question]:
    """The question's parts, with "according to" resolved against the hits' titles."""
    return analyse(question, {h.chunk.title for h in hits if h.chunk.title})


def rank_sentences(
    question: Question, hits: Sequence[Hit], similarity: Similarity | None
) -> list[ScoredSentence]:
    """Every sentence of ``hits``, best answer first."""
    sentences = unique_sentences(hits)
    if question.source_title is not None:
        sentences = [s for s in sentences if s.title == question.source_title]
    supports = support_scores(
        question.text, [s.text for s in sentences], similarity, question.terms
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

    question: Question
    terms: frozenset[str]
    asked: frozenset[str]
    sequence: tuple[str, ...]
    predicate: frozenset[str]
    cyrillic: bool

    @classmethod
    def of(cls, question: Question) -> _Needs:
        kind_keys = {key(w) for w in KIND_WORDS}
        named = {key(w.lower()) for phrase in question.entities for w in phrase}
        return cls(
            question=question,
            terms=content_terms(question.text),
            asked=frozenset(w.lower() for w in words(question.text)),
            sequence=tuple(k for k in content_sequence(question.text) if k not in kind_keys),
            predicate=question.terms - named,
            cyrillic=is_cyrillic(question.text),
        )

    def adjust(self, text: str, support: float) -> tuple[float, float]:
        """(support, ranking score) of a sentence after the question's needs."""
        terms = content_terms(text)
        if all(covers(t, self.terms) for t in terms):
            return 0.0, 0.0
        if not self._states_answer(text):
            support *= MISSING_PENALTY
        if not self._about_focus(text, terms):
            support *= FOCUS_PENALTY
        sequence = content_sequence(text)
        bonus = PHRASE_BONUS * phrase_coverage(self.sequence, sequence)
        bonus += PROXIMITY_BONUS * proximity(self.sequence, sequence)
        if self.question.kind == "who":
            bonus += WHO_BONUS * min(1.0, len(self._new(people(text))) / 2)
        return support, support + bonus

    def _new(self, found: frozenset[str]) -> list[str]:
        return [n for n in found if n.lower() not in self.asked]

    def _states_answer(self, text: str) -> bool:
        kind = self.question.kind
        if kind is None:
            return True
        if kind == "who":
            return bool(self._new(person_names(text)))
        if kind == "org":
            return bool(self._new(names(text)))
        if kind == "where":
            return bool(self._new(places(text)))
        if kind in ("number", "amount") and is_cyrillic(text) == self.cyrillic:
            return self._anchored(ANSWER_VALUES[kind], text)
        return has_value(ANSWER_VALUES[kind], text)

    def _anchored(self, kinds: frozenset[ValueKind], text: str) -> bool:
        """A value of ``kinds`` stands near what is counted (the focus) and near one
        other word of the question, when the question has them."""
        near = near_values(kinds, text)
        if not near:
            return False
        focus = {key(w) for w in self.question.focus}
        others = self.predicate - focus
        if focus and not covers(key(self.question.focus[-1]), near):
            return False
        return not others or any(covers(t, near) for t in others)

    def _about_focus(self, text: str, terms: frozenset[str]) -> bool:
        if not all(covers(key(w), terms) for w in self.question.focus):
            return False
        if self.question.speaker and not any(covers(t, terms) for t in self.question.speaker):
            return False
        judged = [e for e in self.question.entities if is_cyrillic(e[0]) == is_cyrillic(text)]
        return not judged or any(mentions_name(text, e) for e in judged)


def extractive_answer(
    question: str, hits: Sequence[Hit], similarity: Similarity | None
) -> Grounded:
    """Compose "sentence [1] sentence [2]" from the best sentence of each part of the
    question that has an answer, with their citations; ``support`` is the best part's."""
    best: list[ScoredSentence] = []
    for part in analyse_for(question, hits):
        ranked = rank_sentences(part, hits, similarity)
        if ranked:
            best.append(ranked[0])
    support = max((b.support for b in best), default=0.0)
    chosen = [b for b in best if b.support >= MIN_SUPPORT] or best[:1]
    chosen = list({(b.sentence.source, b.sentence.start): b for b in chosen}.values())
    citations = tuple(citation_for(n, item.sentence) for n, item in enumerate(chosen, start=1))
    text = " ".join(with_markers(item.sentence.text, [n]) for n, item in enumerate(chosen, start=1))
    return Grounded(
        answer=text,
        citations=citations,
        supporting=tuple((item.sentence, n) for n, item in enumerate(chosen, start=1)),
        support=support,
    )


def evidence_passages(evidence: Grounded, hits: Sequence[Hit]) -> list[Hit]:
    """The evidence sentences as passages of their own, for a reader that should only
    pick its answer out of them (each keeps its chunk id and offsets into the article)."""
    chunks = {hit.chunk.chunk_id: hit for hit in hits}
    passages: list[Hit] = []
    for sentence, _ in evidence.supporting:
        hit = chunks[sentence.chunk_id]
        chunk = hit.chunk.model_copy(
            update={"text": sentence.text, "start": sentence.start, "end": sentence.end}
        )
        passages.append(hit.model_copy(update={"chunk": chunk}))
    return passages


def answering_sentences(
    question: str, hits: Sequence[Hit], similarity: Similarity | None
) -> list[SourceSentence]:
    """Sentences that answer the question's first part (support at least MIN_SUPPORT),
    best first; a duplicate article's copy of a sentence is the same claim, kept once."""
    first = analyse_for(question, hits)[0]
    answering: dict[str, SourceSentence] = {}
    for item in rank_sentences(first, hits, similarity):
        if item.support >= MIN_SUPPORT:
            answering.setdefault(item.sentence.text, item.sentence)
    return list(answering.values())
