"""Pure helpers that assemble the final answer: merging grounded parts, conflicts, follow-ups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..language.lexicon import DEMONSTRATIVES, PERSONAL_PRONOUNS, any_word
from ..language.sentences import SourceSentence
from ..thresholds import thresholds
from ..types import ChatMessage, Citation, Conflict
from .citations import Grounded, citation_for, renumber

# One part of an answer: its text with [n] markers, and the (sentence, n) pairs behind them.
Part = tuple[str, Sequence[tuple[SourceSentence, int]]]

# Words that make a question lean on the previous turn (English, Ukrainian, Russian).
_ANAPHORA = any_word(PERSONAL_PRONOUNS | DEMONSTRATIVES)


@dataclass(frozen=True)
class Composed:
    """Answer text with [n] markers, the citations behind them, and (sentence, n) pairs."""

    text: str
    citations: list[Citation]
    supporting: list[tuple[SourceSentence, int]]


def merge(parts: Sequence[Grounded]) -> Composed:
    """Join grounded parts into one answer, numbering each source sentence once, in order."""
    return join([(part.answer, part.supporting) for part in parts])


def join(parts: Sequence[Part], separator: str = "\n\n") -> Composed:
    """Join texts with [n] markers into one, numbering each source sentence once, in order."""
    numbers: dict[tuple[str, int, int], int] = {}
    sentences: list[SourceSentence] = []
    texts: list[str] = []
    for text, supporting in parts:
        local: dict[int, int] = {}
        for sentence, n in supporting:
            place = (sentence.source, sentence.start, sentence.end)
            if place not in numbers:
                numbers[place] = len(sentences) + 1
                sentences.append(sentence)
            local[n] = numbers[place]
        texts.append(renumber(text, local))
    return Composed(
        text=separator.join(t for t in texts if t),
        citations=[citation_for(n, s) for n, s in enumerate(sentences, start=1)],
        supporting=[(s, n) for n, s in enumerate(sentences, start=1)],
    )


def with_conflicts(
    composed: Composed, conflicts: Sequence[Conflict], extra: Sequence[tuple[SourceSentence, int]]
) -> tuple[Composed, list[Conflict]]:
    """Add each conflict's claims (numbered in ``extra``) to the answer, stating both."""
    if not conflicts:
        return composed, []
    used = {n for c in conflicts for n in c.citations}
    claims = [(s, n) for s, n in extra if n in used]
    merged = join([(composed.text, composed.supporting), ("", claims)])
    place_to_n = {(s.source, s.start, s.end): n for s, n in merged.supporting}
    remap = {n: place_to_n[(s.source, s.start, s.end)] for s, n in claims}
    stated = [
        Conflict(
            topic=c.topic,
            claims=[renumber(cl, remap) for cl in c.claims],
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
