"""Citation markers: reading ``[n]`` markers out of a draft (the reader's text format),
writing them into an answer, and the citation of one source sentence.

Whether a cited sentence supports an answer is judged elsewhere, after reading
(``rag.grounding.answer_check``); here a citation is only ever a source sentence with
its exact offsets, never text a model wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..language.sentences import SourceSentence, split_sentences
from ..types import Citation

# [1]  [1, 2]  [1-3]  [source 1]  【1】  and a bare (1) at the end of a sentence.
_MARKER = re.compile(
    r"\s*(?:\[\s*(?:(?:source|passage|doc)\s*:?\s*)?(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]"
    r"|【\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*】"
    r"|\((\d{1,2})\)(?=[.!?…]*(?:\s|$)))",
    re.IGNORECASE,
)
# The one form this package writes (``marker``), and so the only one ``renumber`` rewrites
# and the UI links: an article's own "(1)" or "[1-3]" quoted in an answer is text, not a
# citation.
WRITTEN_MARKER = re.compile(r"\[(\d+)\]")
_MAX_RANGE = 20
_TERMINAL = re.compile(r"[.!?…]+$")
_CLOSERS = ("”", '"', "’", "'", "»", ")", "]")


@dataclass(frozen=True, slots=True)
class DraftSentence:
    """One sentence of a draft: the claim without its markers, and the markers it carried."""

    text: str
    markers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Grounded:
    """An answer whose every sentence carries verified citations.

    ``supporting`` pairs each cited source sentence with its number (for conflicts);
    ``support`` is how well the answer is backed: the best candidate's support for the
    question."""

    answer: str
    citations: tuple[Citation, ...]
    supporting: tuple[tuple[SourceSentence, int], ...]
    support: float


def parse_markers(draft: str) -> list[DraftSentence]:
    """Split a draft into sentences; a marker belongs to the sentence it follows."""
    pieces: list[str] = []
    found: list[tuple[int, list[int]]] = []
    last = length = 0
    for match in _MARKER.finditer(draft):
        pieces.append(draft[last : match.start()])
        length += match.start() - last
        found.append((length, _numbers(match)))
        last = match.end()
    pieces.append(draft[last:])
    spans = split_sentences("".join(pieces))
    markers: list[list[int]] = [[] for _ in spans]
    for position, numbers in found if spans else []:
        owner = max((i for i, span in enumerate(spans) if span.start < position), default=0)
        markers[owner].extend(n for n in numbers if n not in markers[owner])
    return [DraftSentence(span.text, tuple(m)) for span, m in zip(spans, markers, strict=True)]


def _numbers(match: re.Match[str]) -> list[int]:
    text = next(group for group in match.groups() if group is not None)
    numbers: list[int] = []
    for part in re.split(r"\s*[,;]\s*", text):
        low, _, high = re.sub(r"\s", "", part).replace("–", "-").partition("-")
        # "[1-3]" lists passages; a wider span is not a list of passages, keep its start.
        last = int(high) if high and int(high) - int(low) < _MAX_RANGE else int(low)
        numbers.extend(range(int(low), last + 1))
    return numbers


def marker(n: int) -> str:
    """The citation marker of source sentence ``n``: "[n]"."""
    return f"[{n}]"


def renumber(text: str, mapping: Mapping[int, int]) -> str:
    """``text`` with each marker "[n]" as "[mapping[n]]"; a number not mapped stays."""
    return WRITTEN_MARKER.sub(lambda m: marker(mapping.get(int(m[1]), int(m[1]))), text)


def with_markers(text: str, numbers: Sequence[int]) -> str:
    """``text`` with " [1][2]" before its final punctuation, after a closing quote, or
    followed by a period when it has neither (a headline)."""
    marks = "".join(marker(n) for n in numbers)
    match = _TERMINAL.search(text)
    if match is not None:
        return f"{text[: match.start()]} {marks}{text[match.start() :]}"
    return f"{text} {marks}" if text.endswith(_CLOSERS) else f"{text} {marks}."


def citation_for(n: int, sentence: SourceSentence) -> Citation:
    return Citation(
        n=n,
        chunk_id=sentence.chunk_id,
        source=sentence.source,
        quote=sentence.text,
        start=sentence.start,
        end=sentence.end,
        title=sentence.title,
        published=sentence.published,
    )
