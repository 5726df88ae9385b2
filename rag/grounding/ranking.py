"""Evidence ranking: every sentence of the retrieved chunks, best answer first.

(The rules below are applied by ``rag.grounding.needs``; their weights are fields of
``rag.thresholds``.)

Every source sentence is scored against the question (``rag.grounding.support``: idf-weighted
content-word coverage plus embedding similarity, so a Ukrainian question can still pick
an English sentence), then held to what the question asks (``rag.language.question``):

- it must state the kind of value asked for: a time for "when", a number for "how many",
  a duration for "how long", a name the question lacks for "who", and for "where" such a
  name after "in", "at", "to"... ("visit to Pyongyang"). One that does not keeps only
  missing_penalty of its support, which puts it under min_support: "On what date did the
  Duma vote?" is not answered by the sentence on how it voted;
- a number must stand near (``value_window`` words) a word of the question that is not a
  name: in "North Korea sent over 10,000 troops to assist Russia in its war against
  Ukraine" the number is about troops sent, so it does not answer "How many North
  Korean soldiers have been killed in Ukraine?" (Questions in another script than the
  sentence are not judged);
- it must mention the focus of "how many artillery shells", "the capital of", whoever
  the answer is attributed to ("according to experts"), and one of the names the
  question is about, as a whole name ("South Korea" is not mentioned by "North
  Korean"), else it keeps focus_penalty of its support. Names in another script than
  the sentence are not judged;
- it must say something the question does not: a headline that only repeats the
  question's words ("News Brief") answers nothing;
- "according to <title>" limits the answer to that article;
- ranking only, never support: a "who" question prefers sentences naming people after a
  title or role, "leader Kim Jong-un" (who_bonus), and any question prefers sentences
  repeating its adjacent word pairs (phrase_bonus: "ratification documents" together, or
  "ратифікаційними документами" transliterated) and holding its words close together
  (proximity_bonus).

"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..language.question import Question, analyse
from ..language.sentences import SourceSentence, chunk_sentences
from ..types import Hit, Similarity
from .needs import Needs
from .support import support_scores


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
