"""Sources that disagree on the value a question asks for (a day, a date, a number).

A value counts as a source's answer only when it sits near the question's own words:
in "The treaty took effect Wednesday after …" the weekday belongs to taking effect, so
it does not answer "On which day did KCNA report …", while "… KCNA news agency reported
Thursday" does. Two claims from different sources conflict when their values differ and
the question words near them overlap in at least two words (``conflict_min_shared`` of
``rag.grounding.thresholds``; the same predicate: one
shared word, such as a surname, is too weak and flagged different people's ages as a
conflict in calibration). Names ("who") are not
compared: the same person is spelled too many ways ("Kim Jong-un", "Kim Jong Un").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..language.question import ANSWER_VALUES, focus_words, question_kind, question_terms
from ..language.sentences import SourceSentence
from ..language.terms import covers, key
from ..language.values import Value, ValueKind, values, words
from ..types import Conflict
from .thresholds import thresholds

_KIND_ORDER: tuple[ValueKind, ...] = ("weekday", "date", "month", "year", "number")
_TOPICS = {"weekday": "day", "date": "date", "month": "month", "year": "year"}


@dataclass(frozen=True, slots=True)
class _Claim:
    value: Value
    anchors: frozenset[str]
    sentence: SourceSentence
    n: int


def detect_conflicts(
    question: str, supporting: Sequence[tuple[SourceSentence, int]]
) -> list[Conflict]:
    """Conflicts among the supporting sentences (each with its citation number)."""
    kind = question_kind(question)
    if kind is None:
        return []
    # Amounts are compared as the numbers they hold ("$800m" is 8e8).
    kinds = frozenset(
        v for v in _KIND_ORDER if v in ANSWER_VALUES[kind] or (kind == "amount" and v == "number")
    )
    if not kinds:
        return []
    terms = question_terms(question)
    focus = frozenset(key(w) for w in focus_words(question))
    claims = [
        claim for sentence, n in supporting for claim in _claims(sentence, n, kinds, terms, focus)
    ]
    shared = min(thresholds().conflict_min_shared, len(terms))
    conflicts: list[Conflict] = []
    for value_kind in _KIND_ORDER:
        involved = _disagreeing([c for c in claims if c.value.kind == value_kind], shared)
        if involved:
            conflicts.append(_conflict(value_kind, involved, focus_words(question)))
    return conflicts


def _claims(
    sentence: SourceSentence,
    n: int,
    kinds: frozenset[ValueKind],
    terms: frozenset[str],
    focus: frozenset[str],
) -> list[_Claim]:
    tokens = [key(w.lower()) for w in words(sentence.text)]
    width = thresholds().value_window
    found: list[_Claim] = []
    for value in values(sentence.text):
        if value.kind not in kinds:
            continue
        window = frozenset(tokens[max(0, value.position - width) : value.position + width + 1])
        anchors = frozenset(t for t in terms if covers(t, window))
        if anchors and (not focus or any(covers(f, window) for f in focus)):
            found.append(_Claim(value, anchors, sentence, n))
    return found


def _disagreeing(claims: list[_Claim], shared: int) -> list[_Claim]:
    """Claims in at least one pair from different sources that differ on one predicate."""
    involved: dict[int, _Claim] = {}
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if (
                a.sentence.source != b.sentence.source
                and a.sentence.text != b.sentence.text
                and len(a.anchors & b.anchors) >= shared
                and not _same_value(a.value, b.value)
            ):
                involved.setdefault(a.n, a)
                involved.setdefault(b.n, b)
    return sorted(involved.values(), key=lambda c: c.n)


def _same_value(a: Value, b: Value) -> bool:
    if a.kind == "number":
        x, y = float(a.value), float(b.value)
        return abs(x - y) <= thresholds().number_tolerance * max(abs(x), abs(y))
    return a.value == b.value


def _conflict(kind: ValueKind, claims: list[_Claim], focus: list[str]) -> Conflict:
    topic = _TOPICS.get(kind) or ("number of " + " ".join(focus) if focus else "number")
    return Conflict(
        topic=topic,
        claims=[f"{c.sentence.text} [{c.n}]" for c in claims],
        citations=[c.n for c in claims],
    )
