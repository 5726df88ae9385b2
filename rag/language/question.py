"""What a question asks: the kind of answer, what it must be about, its parts, its source.

This is the answer typing of classic question-answering systems: the question's *first*
interrogative decides what an answering sentence has to state. "Which governments were
alarmed when the accord was approved?" asks for governments, not a time, however many
"when"s follow. English, Ukrainian and Russian interrogatives are recognised.

Kinds and what an answer must hold (``ANSWER_VALUES``, read by ``rag.language.values``):

- when: a weekday, date, month, year, relative day ("yesterday") or clock time;
- date: a day of a month; day: a weekday, a date or a relative day; month; year;
- time (of day): a clock time or a part of the day;
- number (how many/much/old, what share/age): a number;
- duration (how long, in what time): a number with a unit of time;
- amount (how much, what share/price): money, a percentage or a measured quantity;
- who (also "which actress"): a person's name the question does not already contain,
  after a title or role or of two words or more; org ("which company"): any such name;
- where: such a name after "in", "at", "to"...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .terms import STOPWORDS, content_terms, key
from .values import ValueKind, words

QuestionKind = Literal[
    "when",
    "date",
    "day",
    "month",
    "year",
    "time",
    "number",
    "amount",
    "duration",
    "who",
    "org",
    "where",
]

ANSWER_VALUES: dict[QuestionKind, frozenset[ValueKind]] = {
    "when": frozenset({"weekday", "date", "month", "year", "relative", "clock"}),
    "date": frozenset({"date"}),
    "day": frozenset({"weekday", "date", "relative"}),
    "month": frozenset({"month", "date"}),
    "year": frozenset({"year"}),
    "time": frozenset({"clock", "daypart"}),
    "number": frozenset({"number"}),
    "amount": frozenset({"money", "percent", "quantity"}),
    "duration": frozenset({"duration"}),
    "who": frozenset(),
    "org": frozenset(),
    "where": frozenset(),
}
# "Which actress…", "What company…": the noun says what kind of name answers.
_PERSON_NOUNS = (
    "person|man|woman|men|women|people|actor|actress|singer|player|businessman|businesswoman"
    "|official|officials|minister|president|leader|politician|mp|star|artist|musician|writer"
    "|author|director|manager|coach|chief|boss|executive|member|striker|captain|athlete|champion"
)
_ORG_NOUNS = (
    "company|firm|group|agency|bank|band|club|team|party|organisation|organization|network"
    "|broadcaster|newspaper|channel|carmaker|airline|retailer|government|governments|country"
    "|countries|nation|nations|union|studio|label"
)

_I = re.IGNORECASE
# Earliest match wins; at the same position the first listed (the more specific) wins.
# None marks the open interrogatives: "What word…", "How did…", "Why…".
_KIND_PATTERNS: tuple[tuple[QuestionKind | None, re.Pattern[str]], ...] = (
    (
        "time",
        re.compile(
            r"\bat what time\b|\bwhat time\b|\bwhat hour\b"
            r"|\bо котрій\b|\bво сколько\b|\bв котором часу\b",
            _I,
        ),
    ),
    (
        "duration",
        re.compile(
            r"\bhow long\b|\bin what time\b|\bfor how (?:many|much)\b"
            r"|\bhow many (?:years|months|weeks|days|hours|minutes|seconds)\b"
            r"|\bяк довго\b|\bкак долго\b|\bскільки (?:часу|років|днів)\b"
            r"|\bсколько (?:времени|лет|дней)\b",
            _I,
        ),
    ),
    ("year", re.compile(r"\b(?:what|which) year\b|\b(?:якого|якому) році?\b|\bкаком году\b", _I)),
    (
        "month",
        re.compile(r"\b(?:what|which) month\b|\bяко(?:го|му) місяц\w*|\bкаком месяц\w*", _I),
    ),
    (
        "date",
        re.compile(
            r"\b(?:what|which) (?:\w+ )?date\b|\bякого числа\b|\bкакого числа\b"
            r"|\b(?:якої|какой) (?:дати|даты)",
            _I,
        ),
    ),
    (
        "day",
        re.compile(
            r"\b(?:what|which) (?:\w+ )?(?:day|weekday)\b"
            r"|\b(?:яки[йх]|якого|какой|какого) (?:день|дня)",
            _I,
        ),
    ),
    ("when", re.compile(r"\bwhen\b|\bколи\b|\bкогда\b", _I)),
    (
        "amount",
        re.compile(
            r"\bhow much\b|\b(?:what|which) (?:\w+ )?(?:percentage|proportion|share|price|sum"
            r"|amount|fee|fine|salary|cost)\b",
            _I,
        ),
    ),
    (
        "number",
        re.compile(
            r"\bhow (?:many|old|far|tall|big|large|high|often)\b|\bwhat (?:number|age)\b"
            r"|\bскільки\b|\bсколько\b",
            _I,
        ),
    ),
    (
        "who",
        re.compile(
            rf"\bwho(?:m|se)?\b|\b(?:which|what) (?:\w+ ){{0,2}}(?:{_PERSON_NOUNS})\b"
            r"|\bхто\b|\bкого\b|\bкто\b|\bчий\b|\bчей\b",
            _I,
        ),
    ),
    ("org", re.compile(rf"\b(?:which|what) (?:\w+ ){{0,2}}(?:{_ORG_NOUNS})\b", _I)),
    (
        "where",
        re.compile(
            r"\bwhere\b|\b(?:what|which) (?:city|town|country|place|venue|region)\b"
            r"|\bде\b|\bгде\b|\bкуди\b|\bкуда\b|\bв якому місті\b|\bв каком городе\b",
            _I,
        ),
    ),
    (
        None,
        re.compile(
            r"\b(?:what|which|how|why|чому|почему|що|что|як|как|який|яка|яке|які"
            r"|какой|какая|какое|какие)\b",
            _I,
        ),
    ),
)
# Words that name the asked-for kind ("which day") rather than the fact asked about.
KIND_WORDS = frozenset(
    "day date calendar time year month weekday number percentage proportion share amount age "
    "день дня числа дати даты року году года".split()
)
_KIND_KEYS = frozenset(key(w) for w in KIND_WORDS)

# "How many artillery shells…", "What is the capital of…": the thing the answer must
# mention. English only; other languages get no focus check.
_HOW_MANY = re.compile(r"\bhow many\s+((?:[a-z]+\s+){0,2}[a-z]+)", _I)
_ATTRIBUTE = re.compile(
    r"\b(?:what|who|which)\s+(?:is|was|are|were)\s+the\s+((?:[a-z]+\s+)?[a-z]+)\s+of\b"
    r"|\b(?:what|who|which)\s+(?:is|was|are|were)\s+(?:the\s+)?[\w.-]+['’]s?\s+"
    r"((?:[a-z]+\s+)?[a-z]+)\b",
    _I,
)
# "The current president", "its former chief": what the focus is, not which one.
_MODIFIERS = frozenset("current former new latest last first next previous present acting".split())
_NOT_FOCUS = frozenset(
    "did do does has have had is are was were will would can could should the a an of "
    "in on to for by with at from".split()
)
# Another interrogative clause joined on: "Who signed it, and who exchanged the documents?"
_PART_BREAK = re.compile(
    r"\s*(?:,\s*|;\s*|\s)(?:and|і|та|и)\s+(?=(?:who|what|where|when|which|how|хто|що|де|коли"
    r"|кто|что|где|когда)\b)",
    _I,
)
_PRONOUN = re.compile(
    r"\b(?:he|she|it|they|him|her|them|his|its|their|він|вона|воно|вони|він|его|её|ее|их|они|оно)\b",
    _I,
)
# "Besides mutual defence, what else…": what follows "besides" is what is not asked.
_BESIDES = re.compile(
    r"^\s*(?:besides|apart from|aside from|other than|except for|in addition to)\s+[^,]+,\s*", _I
)
# "According to the articles": the sources themselves, not someone quoted in them.
_SOURCE_WORDS = frozenset(
    key(w) for w in "article articles source sources report reports text texts news story".split()
)
# "According to the News Brief, …": names the article to answer from.
_ACCORDING_TO = re.compile(
    r"^\s*according to (?:the )?(?P<lead>[^,]+),\s*|,?\s*according to (?:the )?(?P<tail>[^,?]+)",
    _I,
)


@dataclass(frozen=True, slots=True)
class Question:
    """One interrogative clause, analysed."""

    text: str
    kind: QuestionKind | None
    focus: tuple[str, ...]
    entities: tuple[tuple[str, ...], ...]
    source_title: str | None = None
    speaker: frozenset[str] = frozenset()

    @property
    def terms(self) -> frozenset[str]:
        """Content terms without the words naming the answer's kind ("day")."""
        return question_terms(self.text)


def analyse(question: str, titles: Iterable[str] = ()) -> list[Question]:
    """The question's parts ("who signed it, and where?" has two), each analysed; a
    leading "besides X," is dropped, since X is what the question does not ask about.

    "According to X" names the article to answer from when X is one of ``titles`` (then
    X is no longer part of what is asked); otherwise it stays a part of the question."""
    title, text = _source_title(_BESIDES.sub("", question), titles)
    speaker = _speaker(text) if title is None else frozenset()
    return [
        Question(
            text=part,
            kind=question_kind(part),
            focus=tuple(focus_words(part)),
            entities=entity_phrases(part),
            source_title=title,
            speaker=speaker,
        )
        for part in _parts(text)
    ]


def question_kind(question: str) -> QuestionKind | None:
    """The kind of answer the first interrogative asks for; None for open questions."""
    first = _first_interrogative(question)
    return first[2] if first else None


def _first_interrogative(question: str) -> tuple[int, int, QuestionKind | None] | None:
    best: tuple[int, int, QuestionKind | None] | None = None
    for order, (kind, pattern) in enumerate(_KIND_PATTERNS):
        match = pattern.search(question)
        if match and (best is None or (match.start(), order) < best[:2]):
            best = (match.start(), order, kind)
    return best


def _parts(text: str) -> list[str]:
    """Interrogative clauses; a piece without an interrogative ("OK, and what…") joins the
    next one, and a later clause that says "he" or "it" gets the first clause's names."""
    parts: list[str] = []
    pending = ""
    for piece in _PART_BREAK.split(text):
        pending = f"{pending} {piece}".strip() if pending else piece.strip()
        if pending and _first_interrogative(pending) is not None:
            parts.append(pending)
            pending = ""
    if pending:
        parts = [*parts[:-1], f"{parts[-1]} {pending}"] if parts else [pending]
    names = " ".join(w for phrase in entity_phrases(parts[0]) for w in phrase)
    return [parts[0]] + [f"{p} ({names})" if _PRONOUN.search(p) and names else p for p in parts[1:]]


def question_terms(question: str) -> frozenset[str]:
    """Content terms of a question without the words naming the answer's kind ("day")."""
    return frozenset(t for t in content_terms(question) if t not in _KIND_KEYS)


def focus_words(question: str) -> list[str]:
    """The words naming what the answer is about ("artillery shells", "capital", from
    "Who is Ukraine's finance minister?" "finance minister"), without "current" and kin."""
    for pattern in (_HOW_MANY, _ATTRIBUTE):
        match = pattern.search(question)
        if match:
            found: list[str] = []
            for word in next(g for g in match.groups() if g).lower().split():
                if word in _NOT_FOCUS:
                    break
                found.append(word)
            return [w for w in found if w not in KIND_WORDS and w not in _MODIFIERS]
    return []


def entity_phrases(question: str) -> tuple[tuple[str, ...], ...]:
    """Runs of capitalised words after the first word: "South Korea", "State Duma"."""
    phrases: list[tuple[str, ...]] = []
    run: list[str] = []
    for word in [*words(question)[1:], ""]:
        if word[:1].isupper() and word.lower() not in STOPWORDS and word.lower() not in KIND_WORDS:
            run.append(re.sub(r"['’]s$", "", word))
            continue
        if run:
            phrases.append(tuple(run))
        run = []
    return tuple(dict.fromkeys(phrases))


def _speaker(question: str) -> frozenset[str]:
    """Who the question attributes the answer to ("according to experts"), unless that is
    the sources themselves ("according to the articles")."""
    match = _ACCORDING_TO.search(question)
    if match is None:
        return frozenset()
    return content_terms(match.group("lead") or match.group("tail")) - _SOURCE_WORDS


def _source_title(question: str, titles: Iterable[str]) -> tuple[str | None, str]:
    """The article title the question names, and the question without "according to"."""
    by_terms = {content_terms(t): t for t in titles}
    match = _ACCORDING_TO.search(question)
    if match is not None:
        hint = content_terms(match.group("lead") or match.group("tail"))
        title = next((t for terms, t in by_terms.items() if hint and hint <= terms), None)
        if title is not None:
            return title, (question[: match.start()] + " " + question[match.end() :]).strip()
    for phrase in entity_phrases(question):
        title = by_terms.get(content_terms(" ".join(phrase)))
        if title is not None:
            return title, question
    return None, question
