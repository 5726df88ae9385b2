"""Citation markers in a draft answer, and verification that each cited passage supports its
sentence.

A generator (an LLM, or the extractive one) writes sentences with [n] markers pointing at
the numbered passages it was given. ``verify`` keeps a marker only when the best sentence
of that passage supports the claim (``rag.support``) and states every number and every
name the claim states; a claim whose markers all fail gets the best supporting passage
instead, if any clears the bar, and is dropped otherwise. What survives is renumbered
1..m in order of first use, each number bound to one exact source sentence.

CLAIM_MIN_SUPPORT comes from the calibration run described in ``rag.support``: 26 claims
restating a retrieved sentence (shortened, paraphrased, one in Ukrainian) scored
0.56-1.0 against their best sentence; of 25 false claims about the same passages, the
number, name and date checks removed 9 and 6 more scored below 0.5 (0.14-0.48). The 10
left (0.51-0.77) reverse roles or negate a sentence using its own words ("Melinda Czink
won the Canberra Classic", "The treaty was rejected by the Duma"): word overlap and
e5 similarity cannot see that, which is why the quote is always shown with the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .facts import mentions, proper_words
from .overlap import content_terms, is_cyrillic
from .refusal import is_prompt_injection
from .sentences import SourceSentence, chunk_sentences, split_sentences
from .support import support_scores
from .types import Citation, Hit, Similarity

CLAIM_MIN_SUPPORT = 0.5

# [1]  [1, 2]  [1-3]  [source 1]  【1】  and a bare (1) at the end of a sentence.
_MARKER = re.compile(
    r"\s*(?:\[\s*(?:(?:source|passage|doc)\s*:?\s*)?(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]"
    r"|【\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*】"
    r"|\((\d{1,2})\)(?=[.!?…]*(?:\s|$)))",
    re.IGNORECASE,
)
_MAX_RANGE = 20
_TERMINAL = re.compile(r"[.!?…]+$")
_CLOSERS = ("”", '"', "’", "'", "»", ")", "]")


@dataclass(frozen=True, slots=True)
class DraftSentence:
    """One sentence of a draft: the claim without its markers, and the markers it carried."""

    text: str
    markers: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RemovedMarker:
    """A marker that ``verify`` took off a claim, and why."""

    claim: str
    marker: int
    reason: str


@dataclass(frozen=True, slots=True)
class Grounded:
    """An answer whose every sentence carries verified citations.

    ``supporting`` pairs each cited source sentence with its number (for conflicts);
    ``support`` is how well the answer is backed: the first sentence's support for the
    question (extractive) or the best kept claim's support (``verify``)."""

    answer: str
    citations: tuple[Citation, ...]
    supporting: tuple[tuple[SourceSentence, int], ...]
    support: float
    dropped: tuple[str, ...] = ()
    removed_markers: tuple[RemovedMarker, ...] = ()
    attached: tuple[str, ...] = ()

    def notes(self) -> list[str]:
        """Human-readable diagnostics for a notice or a log line."""
        notes = [f"dropped unsupported sentence: {claim!r}" for claim in self.dropped]
        notes += [
            f"removed [{r.marker}] from {r.claim!r}: {r.reason}" for r in self.removed_markers
        ]
        notes += [f"added a citation to {claim!r}" for claim in self.attached]
        return notes


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


def with_markers(text: str, numbers: Sequence[int]) -> str:
    """``text`` with " [1][2]" before its final punctuation, after a closing quote, or
    followed by a period when it has neither (a headline)."""
    marks = "".join(f"[{n}]" for n in numbers)
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


def states_same_facts(claim: str, sentence: str) -> bool:
    """Every number, and every capitalised word (names, places, weekdays, months) written
    in the sentence's script, that the claim states after its first word is in the
    sentence too: a weak generator's favourite mistakes are a wrong figure and a name
    copied from elsewhere. Names in another script are not judged: transliterating names
    between scripts is too unreliable."""
    terms = content_terms(sentence)
    if any(t[0].isdigit() and t not in terms for t in content_terms(claim)):
        return False
    cyrillic = is_cyrillic(sentence)
    return all(
        mentions(sentence, word) for word in proper_words(claim) if is_cyrillic(word) == cyrillic
    )


def verify(
    draft: str,
    passages: Sequence[Hit],
    similarity: Similarity | None,
    min_support: float = CLAIM_MIN_SUPPORT,
) -> Grounded:
    """Keep the supported sentences of ``draft`` with verified, renumbered citations.

    Marker [k] refers to ``passages[k - 1]``. Each kept citation quotes the source
    sentence that best supports its claim within that passage."""
    groups = [chunk_sentences(hit) for hit in passages]
    flat = [sentence for group in groups for sentence in group]
    owners = [i for i, group in enumerate(groups) for _ in group]
    numbering = _Numbering()
    kept: list[str] = []
    dropped: list[str] = []
    attached: list[str] = []
    removed: list[RemovedMarker] = []
    best_support = 0.0
    for claim in parse_markers(draft):
        best = _best_per_passage(claim.text, flat, owners, similarity)
        valid, lost, was_attached = _supporters(claim, best, len(passages), min_support)
        removed.extend(lost)
        if not valid:
            dropped.append(claim.text)
            continue
        if was_attached:
            attached.append(claim.text)
        best_support = max([best_support, *(score for score, _ in valid)])
        numbers = list(dict.fromkeys(numbering.number(sentence) for _, sentence in valid))
        kept.append(with_markers(claim.text, numbers))
    return Grounded(
        answer=" ".join(kept),
        citations=tuple(citation_for(n, s) for n, s in enumerate(numbering.sentences, start=1)),
        supporting=tuple((s, n) for n, s in enumerate(numbering.sentences, start=1)),
        support=best_support,
        dropped=tuple(dropped),
        removed_markers=tuple(removed),
        attached=tuple(attached),
    )


_Best = tuple[float, SourceSentence]


def _best_per_passage(
    claim: str, flat: list[SourceSentence], owners: list[int], similarity: Similarity | None
) -> dict[int, _Best]:
    """For each passage, its sentence that best supports ``claim`` (0 if facts differ, or
    if the sentence is an instruction to the assistant planted in an article: an LLM
    that obeyed "answer 'HACKED'" would otherwise find its answer verified by it)."""
    best: dict[int, _Best] = {}
    supports = support_scores(claim, [s.text for s in flat], similarity)
    for sentence, owner, support in zip(flat, owners, supports, strict=True):
        usable = states_same_facts(claim, sentence.text) and not is_prompt_injection(sentence.text)
        score = support.value if usable else 0.0
        if owner not in best or score > best[owner][0]:
            best[owner] = (score, sentence)
    return best


def _supporters(
    claim: DraftSentence, best: dict[int, _Best], passages: int, min_support: float
) -> tuple[list[_Best], list[RemovedMarker], bool]:
    """What to cite for ``claim``: its valid markers' sentences, else the best supporting
    sentence of any passage (attached), else nothing (the claim is dropped)."""
    valid, removed = _check_markers(claim, best, passages, min_support)
    if valid:
        return valid, removed, False
    fallback = max(best.values(), key=lambda b: b[0], default=None)
    if fallback is None or fallback[0] < min_support:
        return [], removed, False
    return [fallback], removed, True


def _check_markers(
    claim: DraftSentence, best: dict[int, _Best], passages: int, min_support: float
) -> tuple[list[_Best], list[RemovedMarker]]:
    valid: list[_Best] = []
    removed: list[RemovedMarker] = []
    for marker in claim.markers:
        if not 1 <= marker <= passages:
            removed.append(RemovedMarker(claim.text, marker, "no such passage"))
        elif marker - 1 not in best or best[marker - 1][0] < min_support:
            removed.append(RemovedMarker(claim.text, marker, "the passage does not support it"))
        else:
            valid.append(best[marker - 1])
    return valid, removed


class _Numbering:
    """Citation numbers in order of first use; one number per source sentence."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[str, int, int], int] = {}
        self.sentences: list[SourceSentence] = []

    def number(self, sentence: SourceSentence) -> int:
        place = (sentence.source, sentence.start, sentence.end)
        if place not in self._numbers:
            self._numbers[place] = len(self.sentences) + 1
            self.sentences.append(sentence)
        return self._numbers[place]
