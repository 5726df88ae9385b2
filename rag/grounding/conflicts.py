"""Sources that disagree on the value a question asks for (a day, a date, a number).

A value counts as a source's answer only when it sits near the question's own words:
in "The treaty took effect Wednesday after …" the weekday belongs to taking effect, so
it does not answer "On which day did KCNA report …", while "… KCNA news agency reported
Thursday" does. Two claims from different sources conflict when their values differ and
the question words near them overlap in at least two words (``conflict_min_shared`` of
``rag.thresholds``; the same predicate: one
shared word, such as a surname, is too weak and flagged different people's ages as a
conflict in calibration). Names ("who") are not
compared: the same person is spelled too many ways ("Kim Jong-un", "Kim Jong Un").
Which values each kind of question compares, in what order, and the topic a disagreement
is stated under, is that kind's entry in ``rag.language.kinds``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..language import kinds
from ..language.question import focus_words, question_kind, question_terms
from ..language.sentences import SourceSentence
from ..language.terms import covers, key
from ..language.values import Value, ValueKind, values, words
from ..thresholds import thresholds
from ..types import Conflict
from .citations import marker


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
    compared = kinds.KINDS[kind].conflicts if kind is not None else ()
    if not compared:
        return []
    wanted = frozenset(v for v, _ in compared)
    terms = question_terms(question)
    focus = frozenset(key(w) for w in focus_words(question))
    claims = [
        claim for sentence, n in supporting for claim in _claims(sentence, n, wanted, terms, focus)
    ]
    shared = min(thresholds().conflict_min_shared, len(terms))
    conflicts: list[Conflict] = []
    for value_kind, topic in compared:
        involved = _disagreeing([c for c in claims if c.value.kind == value_kind], shared)
        if involved:
            conflicts.append(_conflict(value_kind, topic, involved, focus_words(question)))
    return conflicts


def _claims(
    sentence: SourceSentence,
    n: int,
    wanted: frozenset[ValueKind],
    terms: frozenset[str],
    focus: frozenset[str],
) -> list[_Claim]:
    tokens = [key(w.lower()) for w in words(sentence.text)]
    width = thresholds().value_window
    found: list[_Claim] = []
    for value in values(sentence.text):
        if value.kind not in wanted:
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


def _conflict(kind: ValueKind, topic: str, claims: list[_Claim], focus: list[str]) -> Conflict:
    # A number is a count of something: "the number of artillery shells".
    if kind == "number" and focus:
        topic = f"{topic} of {' '.join(focus)}"
    return Conflict(
        topic=topic,
        claims=[f"{c.sentence.text} {marker(c.n)}" for c in claims],
        citations=[c.n for c in claims],
    )
