"""The LLM-free generator: answer with the best supporting sentence of the retrieved
chunks (ranked by ``rag.grounding.ranking``). It is the baseline every LLM generator is
measured against, and the answer given when the LLM is down.

A question of several parts ("Who signed it, and who exchanged the documents?") gets the
best sentence for each part. One cited sentence per part keeps every citation an answer:
a second-best sentence is as often beside the point as it is a second witness (calibration
on the sample gold set: 2-sentence answers cited a non-evidence sentence in 22 of 48 answers).
"""

from __future__ import annotations

from ..grounding.citations import Grounded, citation_for, with_markers
from ..grounding.ranking import ScoredSentence
from ..grounding.refusal import should_refuse
from ..language.sentences import SourceSentence
from ..thresholds import thresholds
from ..turn import Evidence
from ..types import CallerOptions, StreamEvent
from .base import Draft, Drafting


class ExtractiveGenerator:
    """The best sentences as they stand; its evidence is final once grounded, so it is
    streamed at once."""

    tokens_generated = 0

    def draft(self, evidence: Evidence, options: CallerOptions) -> Drafting:
        grounded = extractive_answer(evidence)
        decision = should_refuse(evidence.question, evidence.hits, grounded.support)
        if decision.refused:
            return Draft(None, decision.reason)
        yield StreamEvent(event="token", text=grounded.answer)
        yield StreamEvent(event="citations", citations=list(grounded.citations))
        return Draft(grounded, None)

    def healthy(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release."""


def extractive_answer(evidence: Evidence) -> Grounded:
    """Compose "sentence [1] sentence [2]" from the best sentence of each part of the
    question that has an answer, with their citations; ``support`` is the best part's."""
    best: list[ScoredSentence] = []
    for part in range(len(evidence.parts)):
        ranked = evidence.ranked(part)
        if ranked:
            best.append(ranked[0])
    support = max((b.support for b in best), default=0.0)
    min_support = thresholds().min_support
    chosen = [b for b in best if b.support >= min_support] or best[:1]
    chosen = list({(b.sentence.source, b.sentence.start): b for b in chosen}.values())
    citations = tuple(citation_for(n, item.sentence) for n, item in enumerate(chosen, start=1))
    text = " ".join(with_markers(item.sentence.text, [n]) for n, item in enumerate(chosen, start=1))
    return Grounded(
        answer=text,
        citations=citations,
        supporting=tuple((item.sentence, n) for n, item in enumerate(chosen, start=1)),
        support=support,
    )


def answering_sentences(evidence: Evidence) -> list[SourceSentence]:
    """Sentences that answer the question's first part (support at least min_support),
    best first; a duplicate article's copy of a sentence is the same claim, kept once."""
    answering: dict[str, SourceSentence] = {}
    min_support = thresholds().min_support
    for item in evidence.ranked(0):
        if item.support >= min_support:
            answering.setdefault(item.sentence.text, item.sentence)
    return list(answering.values())
