"""Pure helpers that assemble the final answer: merging grounded parts, conflicts, follow-ups."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..language.sentences import SourceSentence
from ..types import ChatMessage, Citation, Conflict
from .citations import Grounded, citation_for
from .thresholds import thresholds

_MARKER = re.compile(r"\[(\d+)\]")
# Words that make a question lean on the previous turn (English, Ukrainian, Russian).
_ANAPHORA = re.compile(
    r"\b(it|its|they|them|their|he|him|his|she|her|this|that|these|those|there|then|"
    r"він|вона|воно|вони|його|її|їх|це|той|там|тоді|"
    r"он|она|оно|они|его|ее|её|их|это|этот|там|тогда)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Composed:
    """Answer text with [n] markers, the citations behind them, and (sentence, n) pairs."""

    text: str
    citations: list[Citation]
    supporting: list[tuple[SourceSentence, int]]


def _renumber(text: str, mapping: dict[int, int]) -> str:
    return _MARKER.sub(lambda m: f"[{mapping.get(int(m[1]), int(m[1]))}]", text)


def merge(parts: Sequence[Grounded]) -> Composed:
    """Join grounded parts into one answer, numbering each source sentence once, in order."""
    numbers: dict[tuple[str, int, int], int] = {}
    sentences: list[SourceSentence] = []
    texts: list[str] = []
    for part in parts:
        local: dict[int, int] = {}
        for sentence, n in part.supporting:
            place = (sentence.source, sentence.start, sentence.end)
            if place not in numbers:
                numbers[place] = len(sentences) + 1
                sentences.append(sentence)
            local[n] = numbers[place]
        texts.append(_renumber(part.answer, local))
    return Composed(
        text="\n\n".join(t for t in texts if t),
        citations=[citation_for(n, s) for n, s in enumerate(sentences, start=1)],
        supporting=[(s, n) for n, s in enumerate(sentences, start=1)],
    )


def with_conflicts(
    composed: Composed, conflicts: Sequence[Conflict], extra: Sequence[tuple[SourceSentence, int]]
) -> tuple[Composed, list[Conflict]]:
    """Add each conflict's claims (numbered in ``extra``) to the answer, stating both."""
    if not conflicts:
        return composed, []
    base = Grounded(
        answer=composed.text,
        citations=tuple(composed.citations),
        supporting=tuple(composed.supporting),
        support=1.0,
    )
    used = {n for c in conflicts for n in c.citations}
    claims = Grounded(
        answer="",
        citations=(),
        support=1.0,
        supporting=tuple((s, n) for s, n in extra if n in used),
    )
    merged = merge([base, claims])
    place_to_n = {(s.source, s.start, s.end): n for s, n in merged.supporting}
    remap = {n: place_to_n[(s.source, s.start, s.end)] for s, n in extra if n in used}
    stated = [
        Conflict(
            topic=c.topic,
            claims=[_renumber(cl, remap) for cl in c.claims],
            citations=[remap[n] for n in c.citations],
        )
        for c in conflicts
    ]
    lines = [f"The sources disagree on the {c.topic}: " + " / ".join(c.claims) for c in stated]
    text = merged.text + "\n\n" + "\n".join(lines)
    return Composed(text, merged.citations, merged.supporting), stated


def standalone_question(question: str, history: Sequence[ChatMessage]) -> str:
    """Deterministic condensing: a short or pronoun-led follow-up borrows the last question.

    Retrieval only needs the topic words, and the previous question carries them; it
    goes in brackets after the follow-up, so the follow-up's own interrogative is the
    first one and decides what kind of answer is wanted ("And who signed it?").
    """
    previous = [m.content for m in history if m.role == "user" and m.content.strip()]
    if not previous:
        return question
    short = len(question.split()) <= thresholds().follow_up_words
    if short or _ANAPHORA.search(question) or question.lower().startswith(("and ", "what about")):
        return f"{question} ({previous[-1].strip()})"
    return question
