"""What a question asks for (a time, a number, a person) and the typed values a sentence states.

Used by the extractive generator (prefer sentences that hold the asked-for kind of value)
and by conflict detection (compare those values across sources). English, Ukrainian
and Russian question words are recognised; values are read from English text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .overlap import STOPWORDS, content_terms, covers, key

QuestionKind = Literal["when", "number", "who"]
ValueKind = Literal["weekday", "date", "month", "year", "number"]

_KIND_PATTERNS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    (
        "number",
        re.compile(
            r"\bhow (?:many|much|long|old|far|tall|big|large)\b"
            r"|\bwhat (?:number|percentage|share)\b"
            r"|\bскільки\b|\bсколько\b",
            re.IGNORECASE,
        ),
    ),
    (
        "when",
        re.compile(
            r"\bwhen\b|\b(?:what|which) (?:day|date|time|year|month|weekday)\b"
            r"|\bколи\b|\bкогда\b"
            r"|\b(?:яки[йх]|якого|якої|как(?:ой|ого|их)) (?:день|дня|числа|дати|даты|року|года)\b",
            re.IGNORECASE,
        ),
    ),
    ("who", re.compile(r"\bwho(?:m|se)?\b|\bхто\b|\bкого\b|\bкто\b", re.IGNORECASE)),
)
# Words that name the asked-for kind ("which day") rather than the fact asked about.
KIND_WORDS = frozenset(
    (
        "day",
        "date",
        "time",
        "year",
        "month",
        "weekday",
        "number",
        "percentage",
        "share",
        "день",
        "дня",
        "числа",
        "дати",
        "даты",
        "року",
        "года",
    )
)
VALUE_KINDS: dict[QuestionKind, frozenset[ValueKind]] = {
    "when": frozenset({"weekday", "date", "month", "year"}),
    "number": frozenset({"number"}),
    "who": frozenset(),
}

# "How many artillery shells…", "What is the capital of…": the thing the answer must
# mention. English only; other languages get no focus check.
_HOW_MANY = re.compile(r"\bhow many\s+((?:[a-z]+\s+){0,2}[a-z]+)", re.IGNORECASE)
_ATTRIBUTE = re.compile(
    r"\b(?:what|who|which)\s+(?:is|was|are|were)\s+the\s+((?:[a-z]+\s+)?[a-z]+)\s+of\b",
    re.IGNORECASE,
)
_NOT_FOCUS = frozenset(
    (
        "did",
        "do",
        "does",
        "has",
        "have",
        "had",
        "is",
        "are",
        "was",
        "were",
        "will",
        "would",
        "can",
        "could",
        "should",
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "to",
        "for",
        "by",
        "with",
        "at",
        "from",
    )
)

_WEEKDAYS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)
_MONTH_NAMES = (
    ("january", "jan"),
    ("february", "feb"),
    ("march", "mar"),
    ("april", "apr"),
    ("may",),
    ("june", "jun"),
    ("july", "jul"),
    ("august", "aug"),
    ("september", "sep", "sept"),
    ("october", "oct"),
    ("november", "nov"),
    ("december", "dec"),
)
_MONTHS = {name: i for i, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_FULL_MONTHS = frozenset(names[0] for names in _MONTH_NAMES)
_SCALES = {
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "m": 1e6,
    "mn": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
}
_NUMBER_WORDS = {
    word: i
    for i, word in enumerate(
        (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
        )
    )
}
_POSSESSIVE = re.compile(r"['’]s\b")
_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")


@dataclass(frozen=True, slots=True)
class Value:
    """A typed value found in a sentence; ``position`` is its word index there."""

    kind: ValueKind
    value: str
    position: int


def question_kind(question: str) -> QuestionKind | None:
    """The kind of answer the question asks for, or None for anything else."""
    for kind, pattern in _KIND_PATTERNS:
        if pattern.search(question):
            return kind
    return None


def question_terms(question: str) -> frozenset[str]:
    """Content terms of a question without the words naming the answer's kind ("day")."""
    kind_keys = {key(w) for w in KIND_WORDS}
    return frozenset(t for t in content_terms(question) if t not in kind_keys)


def focus_words(question: str) -> list[str]:
    """The words naming what the answer is about ("artillery shells", "capital")."""
    for pattern in (_HOW_MANY, _ATTRIBUTE):
        match = pattern.search(question)
        if match:
            found: list[str] = []
            for word in match.group(1).lower().split():
                if word in _NOT_FOCUS:
                    break
                found.append(word)
            return [w for w in found if w not in KIND_WORDS]
    return []


def words(text: str) -> list[str]:
    """Words and numbers of ``text`` in order, original case kept."""
    return _WORD.findall(text)


def proper_words(text: str) -> list[str]:
    """Capitalised words after the first (names, places, weekdays, months), no stopwords."""
    return [w for w in words(text)[1:] if w[0].isupper() and w.lower() not in STOPWORDS]


def mentions(text: str, word: str) -> bool:
    """``text`` has ``word``, inflected or inside a longer word ("TimeWarner", "Warner")."""
    return covers(key(word.lower()), content_terms(text)) or _letters(word) in _letters(text)


def _letters(text: str) -> str:
    return "".join(ch for ch in _POSSESSIVE.sub("", text.lower()) if ch.isalpha())


def values(text: str) -> list[Value]:
    """Weekdays, dates (day and month), months, years and other numbers, in order."""
    tokens = words(text)
    found: list[Value] = []
    used: set[int] = set()
    for i in range(len(tokens)):
        if i in used:
            continue
        value = _date_at(tokens, i, used) or _single_value(tokens, i)
        if value is not None:
            found.append(value)
    return found


def _date_at(tokens: list[str], i: int, used: set[int]) -> Value | None:
    """'5 December' or 'December 5' as a date; consumes the paired token."""
    lowered = tokens[i].lower()
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    if _is_day(lowered) and nxt in _MONTHS:
        used.add(i + 1)
        return Value("date", f"{_MONTHS[nxt]:02d}-{int(lowered):02d}", i)
    if lowered in _MONTHS and _is_day(nxt) and (lowered != "may" or tokens[i][0].isupper()):
        used.add(i + 1)
        return Value("date", f"{_MONTHS[lowered]:02d}-{int(nxt):02d}", i)
    return None


def _single_value(tokens: list[str], i: int) -> Value | None:
    token = tokens[i]
    lowered = token.lower()
    if lowered in _WEEKDAYS:
        return Value("weekday", lowered, i)
    if lowered in _FULL_MONTHS and token[0].isupper():
        return Value("month", str(_MONTHS[lowered]), i)
    if re.fullmatch(r"1[89]\d\d|20\d\d", token):
        return Value("year", token, i)
    number = _number(tokens, i)
    return None if number is None else Value("number", number, i)


def _number(tokens: list[str], i: int) -> str | None:
    lowered = tokens[i].lower()
    if lowered in _NUMBER_WORDS and lowered not in ("zero", "one"):
        amount = float(_NUMBER_WORDS[lowered])
    elif re.fullmatch(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?", lowered):
        amount = float(lowered.replace(",", ""))
    else:
        return None
    nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
    amount *= _SCALES.get(nxt, 1.0)
    return f"{amount:g}"


def _is_day(token: str) -> bool:
    return token.isdigit() and 1 <= int(token) <= 31


def has_value(kinds: frozenset[ValueKind], text: str) -> bool:
    """True when ``text`` states at least one value of the given kinds."""
    return bool(kinds) and any(v.kind in kinds for v in values(text))


def names(text: str) -> frozenset[str]:
    """Capitalised words after the first: a cheap sign that a sentence names someone."""
    tokens = words(text)[1:]
    return frozenset(
        t
        for t in tokens
        if t[0].isupper() and t.lower() not in _WEEKDAYS and t.lower() not in _MONTHS
    )
