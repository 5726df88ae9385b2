"""Sentence splitting with exact character offsets, tuned for news text.

Citations quote single sentences and the UI highlights them by offset, so every span
satisfies ``original[start:end] == text``. Rules, in order:

- A blank line always ends a sentence. A single newline ends one too (headlines,
  captions and bylines carry no final period), unless the line has no closing
  punctuation and the next one starts in lower case: that is a hard-wrapped sentence.
- Inside a line, ``.``, ``!``, ``?``, ``...`` or ``…`` (optionally followed by closing
  quotes or brackets) and then whitespace end a sentence when the next word does not
  start in lower case, except after a title (Mr., Dr.), a month (Jan.), "No." before a
  number, an initial (J.) or a dotted acronym (U.S.) that is not followed by a word
  that typically opens a sentence. Decimals (3.5) never qualify: no whitespace follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..types import Hit

_END = re.compile(r"(?:\.{2,}|[.!?…])+[”\"’'»)\]]*(?=\s)")
_LINE_CLOSERS = ".!?…:;\"”’'»)]"
_WORD_EDGES = "([{“\"‘'«”’»)]}"
_ACRONYM = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]")

# Words that precede a period without ending the sentence: titles before a name and
# abbreviated months before a day. Company suffixes (Inc., Ltd.) are left out on purpose:
# in news they end sentences as often as not.
_TITLES = frozenset(
    (
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "capt",
        "sgt",
        "cmdr",
        "adm",
        "rev",
        "hon",
        "pres",
        "st",
        "jr",
        "sr",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "e.g",
        "i.e",
        "cf",
        "vs",
        "approx",
    )
)
_BEFORE_NUMBER = frozenset(("no", "nos", "vol", "fig", "pp", "p", "art", "ch"))
# After "U.S." a new sentence is only assumed when one of these words follows.
_STARTERS = frozenset(
    (
        "the",
        "a",
        "an",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "i",
        "this",
        "that",
        "these",
        "those",
        "there",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "however",
        "in",
        "on",
        "at",
        "for",
        "if",
        "when",
        "while",
        "after",
        "before",
        "as",
        "meanwhile",
        "still",
    )
)


@dataclass(frozen=True, slots=True)
class Span:
    """One sentence: ``original[start:end] == text``, surrounding whitespace excluded."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class SourceSentence:
    """A sentence of a retrieved chunk, with offsets into the whole article."""

    text: str
    start: int
    end: int
    source: str
    chunk_id: str
    title: str | None = None
    published: str | None = None


def split_sentences(text: str) -> list[Span]:
    """Sentences of ``text`` in reading order, each with exact offsets."""
    spans: list[Span] = []
    for block_start, block_end in _blocks(text):
        cut = block_start
        for match in _END.finditer(text, block_start, block_end):
            if _is_boundary(text, match, block_end):
                spans.extend(_trimmed(text, cut, match.end()))
                cut = match.end()
        spans.extend(_trimmed(text, cut, block_end))
    return spans


def chunk_sentences(hit: Hit) -> list[SourceSentence]:
    """Sentences of a hit's chunk with offsets shifted into the article's text."""
    chunk = hit.chunk
    return [
        SourceSentence(
            text=span.text,
            start=chunk.start + span.start,
            end=chunk.start + span.end,
            source=chunk.source,
            chunk_id=chunk.chunk_id,
            title=chunk.title,
            published=chunk.published,
        )
        for span in split_sentences(chunk.text)
    ]


def _lines(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield start, end
        start = end + 1


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Runs of lines that belong together: a line joins the previous one only when it
    continues a sentence that the previous line left open."""
    block: tuple[int, int] | None = None
    for start, end in _lines(text):
        line = text[start:end].strip()
        if not line:
            if block:
                yield block
            block = None
        elif block and _continues(text[block[0] : block[1]], line):
            block = (block[0], end)
        else:
            if block:
                yield block
            block = (start, end)
    if block:
        yield block


def _continues(previous: str, line: str) -> bool:
    return not previous.rstrip().endswith(tuple(_LINE_CLOSERS)) and line[0].islower()


def _is_boundary(text: str, match: re.Match[str], block_end: int) -> bool:
    rest = text[match.end() : block_end].lstrip()
    if not rest:
        return True
    if rest[0].islower():
        return False
    if match.group().rstrip(_WORD_EDGES) != ".":
        return True  # "!", "?" and ellipses are not abbreviation marks
    return _period_ends_sentence(_word_before(text, match.start()), rest)


def _period_ends_sentence(word: str, rest: str) -> bool:
    lowered = word.lower()
    if lowered in _TITLES or (lowered in _BEFORE_NUMBER and rest[0].isdigit()):
        return False
    if len(word) == 1 and word.isupper():
        return False  # an initial, as in "J. K. Rowling"
    if _ACRONYM.fullmatch(word):
        return rest.split(maxsplit=1)[0].strip(_WORD_EDGES).lower() in _STARTERS
    return True


def _word_before(text: str, end: int) -> str:
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end].strip(_WORD_EDGES)


def _trimmed(text: str, start: int, end: int) -> list[Span]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Span(start, end, text[start:end])] if start < end else []
