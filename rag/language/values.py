"""The typed values a sentence states: times, dates, numbers, durations, names.

Used by the extractive generator (an answer must state the kind of value its question
asks for, ``rag.language.question``) and by conflict detection (compare those values across
sources). Values are read from English text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

from ..thresholds import thresholds
from .lexicon import PERSON_ROLES, WORD, drop_possessives
from .terms import STOPWORDS, content_terms, covers, key, matches

ValueKind = Literal[
    "weekday",
    "date",
    "month",
    "year",
    "number",
    "relative",
    "clock",
    "daypart",
    "duration",
    "money",
    "percent",
    "fraction",
    "quantity",
]

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
# Words before a surname that do not make it part of another name ("Mr Tsutsumi"), and
# the news-style roles that introduce a person ("leader Kim Jong-un").
_TITLES = PERSON_ROLES | frozenset(
    "mr mrs ms miss dr sir lord lady dame prof premier chancellor secretary senator "
    "governor general king queen prince princess pope judge chairman spokesman "
    "spokeswoman head founder officer".split()
)
_NO_FRAME = frozenset("the a an".split())
# A name after one of these is a place: "in Moscow", "to Pyongyang", "at the Hague".
_LOCATIVE = frozenset("in at to from near inside outside across throughout".split())
_UNIT = r"(?:second|minute|hour|day|week|fortnight|month|year|decade|centur(?:y|ie))s?"
_NUMERAL = r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_NUMERAL += r"|several|a few|few|many|a|an)"
# Values that span words or punctuation, read from the raw text.
_PHRASE_VALUES: tuple[tuple[ValueKind, re.Pattern[str]], ...] = (
    (
        "clock",
        re.compile(
            r"\b\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)"
            r"|\b\d{1,2}:\d{2}\b(?![.:]\d)|\b\d{4}\s*(?:GMT|BST|UTC)\b|\bo['’]clock\b",
            re.IGNORECASE,
        ),
    ),
    (
        "daypart",
        re.compile(
            r"\b(?:morning|afternoon|evening|night|overnight|dawn|dusk|noon|midnight|midday"
            r"|tonight|lunchtime)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "relative",
        re.compile(
            r"\b(?:yesterday|today|tomorrow|tonight"
            r"|(?:last|next|this|earlier this|later this) (?:week|month|year|weekend|season)"
            rf"|{_NUMERAL} {_UNIT} ago)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "money",
        re.compile(
            r"[£$€¥]\s?\d[\d,.]*(?:\s?(?:bn|m|k|tn|billion|million|trillion|thousand)\b)?"
            r"|\b\d[\d,.]*(?:\s?(?:bn|m|k|tn|billion|million|trillion|thousand))?\s?"
            r"(?:euros?|dollars?|pounds?|yen|yuan|rupiah|roubles?|rubles?|pence|cents?|francs?"
            r"|rupees?|won)\b",
            re.IGNORECASE,
        ),
    ),
    ("percent", re.compile(r"\b\d[\d,.]*\s?(?:%|per ?cent\b|percent\b)", re.IGNORECASE)),
    # A share given as a fraction: "almost a third of its staff", "1/80th of salary". Only
    # before "of"/"the", so "a third term" is no fraction.
    (
        "fraction",
        re.compile(
            r"\b(?:(?:a|one|two|three|four|five|six|seven|eight|nine)[\s-]+)?"
            r"(?:half|halves|thirds?|quarters?|fifths?|sixths?|sevenths?|eighths?|ninths?"
            r"|tenths?|\w+ieths?)\s+(?:of|the)\b|\b\d+/\d+(?:st|nd|rd|th)?\b",
            re.IGNORECASE,
        ),
    ),
    (
        "quantity",
        re.compile(
            r"\b\d[\d,.]*\s?(?:tonnes?|tons?|barrels?|kg|kilo(?:gram)?s?|km|kilomet(?:re|er)s?"
            r"|miles?|met(?:re|er)s?|litres?|liters?|gallons?|acres?|hectares?|mph|kph)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "duration",
        re.compile(
            rf"\b{_NUMERAL}[\s-]+{_UNIT}\b|\bindefinitely\b|\bpermanently\b"
            r"|\bfor (?:decades|years|months|weeks|life)\b|\bsince (?:\w+ )?\d{4}\b",
            re.IGNORECASE,
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class Value:
    """A typed value found in a sentence; ``position`` is its word index there."""

    kind: ValueKind
    value: str
    position: int


def words(text: str) -> list[str]:
    """Words and numbers of ``text`` in order, original case kept."""
    return WORD.findall(text)


def proper_words(text: str) -> list[str]:
    """Capitalised words after the first (names, places, weekdays, months), no stopwords."""
    return [w for w in words(text)[1:] if w[0].isupper() and w.lower() not in STOPWORDS]


def mentions(text: str, word: str) -> bool:
    """``text`` has ``word``, inflected or inside a longer word ("TimeWarner", "Warner")."""
    return covers(key(word.lower()), content_terms(text)) or _letters(word) in _letters(text)


def mentions_name(text: str, name: Sequence[str]) -> bool:
    """``text`` names ``name``: all its words in a row ("State Duma"); for a longer name
    also its last word standing alone or after a title ("Mr Tsutsumi"), but not inside
    another name that ends alike ("North Korea" is no mention of "South Korea")."""
    if len(name) == 1:
        return mentions(text, name[0])
    tokens = words(text)
    found = [key(t.lower()) for t in tokens]
    wanted = [key(w.lower()) for w in name]
    for i in range(len(found) - len(wanted) + 1):
        if all(matches(w, f) for w, f in zip(wanted, found[i:], strict=False)):
            return True
    return any(
        matches(wanted[-1], f)
        and (i == 0 or not tokens[i - 1][0].isupper() or tokens[i - 1].lower() in _TITLES)
        for i, f in enumerate(found)
    )


def people(text: str) -> frozenset[str]:
    """Capitalised words right after a title or role: "President Vladimir", "leader Kim"."""
    tokens = words(text)
    return frozenset(t for prev, t in pairwise(tokens) if _is_name(t) and prev.lower() in _TITLES)


def person_names(text: str) -> frozenset[str]:
    """Words of names that look like people's: after a title or role, or in a run of two
    or more capitalised words ("Kim Jong Gyu", "Vice Foreign Minister")."""
    tokens = words(text)
    found = set(people(text))
    run: list[str] = []
    for token in [*tokens, ""]:
        if token and _is_name(token):
            run.append(token)
            continue
        if len(run) > 1:
            found.update(run)
        run = []
    return frozenset(found)


def places(text: str) -> frozenset[str]:
    """Capitalised words after a locative preposition (and "the"): "in Moscow"."""
    tokens = words(text)
    found: set[str] = set()
    for i, token in enumerate(tokens[:-1]):
        if token.lower() in _LOCATIVE:
            nxt = i + 2 if tokens[i + 1].lower() == "the" and i + 2 < len(tokens) else i + 1
            if _is_name(tokens[nxt]):
                found.add(tokens[nxt])
    return frozenset(found)


def filled_slots(text: str) -> list[tuple[str, str]]:
    """Each name or number of ``text`` after its first word, with the word before it (its
    frame), titles skipped and runs of names taken whole: "…replace Rainer Hertrich as…"
    gives ("replace", "Rainer Hertrich"). Articles frame nothing: anything follows them."""
    tokens = words(text)
    slots: list[tuple[str, str]] = []
    i = 1
    while i < len(tokens):
        if not _fills(tokens[i]):
            i += 1
            continue
        end = i + 1
        while end < len(tokens) and _fills(tokens[end]):
            end += 1
        frame = i - 1
        while frame > 0 and tokens[frame].lower() in _TITLES:
            frame -= 1
        if tokens[frame].lower() not in _NO_FRAME and tokens[frame].lower() not in _TITLES:
            slots.append((tokens[frame].lower(), " ".join(tokens[i:end])))
        i = end
    return slots


def _fills(token: str) -> bool:
    return token[0].isdigit() or (_is_name(token) and token.lower() not in _TITLES)


def near_values(kinds: frozenset[ValueKind], text: str) -> frozenset[str]:
    """Term keys within ``value_window`` words (``rag.thresholds``) of any value
    of ``kinds`` in ``text``."""
    tokens = [key(w.lower()) for w in words(text)]
    width = thresholds().value_window
    return frozenset(
        t
        for v in values(text)
        if v.kind in kinds
        for t in tokens[max(0, v.position - width) : v.position + width + 1]
    )


def _is_name(token: str) -> bool:
    lowered = token.lower()
    return (
        token[0].isupper()
        and lowered not in STOPWORDS
        and lowered not in _WEEKDAYS
        and lowered not in _MONTHS
    )


def _letters(text: str) -> str:
    return "".join(ch for ch in drop_possessives(text.lower()) if ch.isalpha())


def values(text: str) -> list[Value]:
    """Weekdays, dates (day and month), months, years and other numbers, clock times,
    parts of the day, relative days ("last week") and durations, in order."""
    tokens = words(text)
    found: list[Value] = []
    used: set[int] = set()
    for i in range(len(tokens)):
        if i in used:
            continue
        value = _date_at(tokens, i, used) or _single_value(tokens, i)
        if value is not None:
            found.append(value)
    for kind, pattern in _PHRASE_VALUES:
        for match in pattern.finditer(text):
            position = len(words(text[: match.start()]))
            found.append(Value(kind, match.group().lower(), position))
    return sorted(found, key=lambda v: v.position)


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
    """Capitalised words that are not function words, weekdays or months: a cheap sign
    that a sentence names someone or somewhere."""
    return frozenset(t for t in words(text) if _is_name(t))
