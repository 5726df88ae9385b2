"""The LLM-free generator: answer with the best supporting sentence of the retrieved chunks.

(The rules below are applied by ``rag.needs``, where their constants live.)

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
from .needs import Needs
from .question import Question, analyse
from .refusal import MIN_SUPPORT
from .sentences import SourceSentence, chunk_sentences
from .support import support_scores
from .types import Hit, Similarity


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
    needs = Needs.of(question)
    scored = [
        ScoredSentence(sentence, *needs.adjust(sentence.text, support.value))
        for sentence, support in zip(sentences, supports, strict=True)
    ]
    return sorted(scored, key=lambda s: -s.score)


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
