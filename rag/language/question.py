"""What a question asks: the kind of answer, what it must be about, its parts, its source.

This is the answer typing of classic question-answering systems: the question's *first*
interrogative decides what an answering sentence has to state. "Which governments were
alarmed when the accord was approved?" asks for governments, not a time, however many
"when"s follow. English, Ukrainian and Russian interrogatives are recognised.

The kinds, their interrogatives and what answers each are the registry
``rag.language.kinds``; this module finds the first interrogative and the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from . import kinds
from .kinds import QuestionKind
from .lexicon import PERSONAL_PRONOUNS, any_word, strip_possessive
from .terms import STOPWORDS, content_terms, key
from .values import words

_I = re.IGNORECASE
# The open interrogatives ("What word…", "How did…", "Why…"): after every kind's own, so
# that at the same position a kind's more specific pattern wins.
_OPEN = re.compile(
    r"\b(?:what|which|how|why|чому|почему|що|что|як|как|який|яка|яке|які"
    r"|какой|какая|какое|какие)\b",
    _I,
)
# Words that name the asked-for kind ("which day") rather than the fact asked about.
KIND_WORDS = frozenset(
    "day date calendar time year month weekday number percentage proportion share amount age "
    "день дня числа дати даты року году года".split()
)
KIND_KEYS = frozenset(key(w) for w in KIND_WORDS)

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
# A later clause's pronoun borrows the first clause's names. The Ukrainian object forms
# and Russian "он", "она" were never on this list; kept so that analysis is unchanged.
_PRONOUN = any_word(PERSONAL_PRONOUNS - {"його", "її", "їх", "он", "она"})
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
    # Earliest match wins; at the same position the first listed (the more specific) wins.
    # The registry is read here, on each call, so a kind added to it is asked for at once.
    patterns = [(k.name, k.pattern) for k in kinds.KINDS.values()] + [(None, _OPEN)]
    best: tuple[int, int, QuestionKind | None] | None = None
    for order, (kind, pattern) in enumerate(patterns):
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
    return frozenset(t for t in content_terms(question) if t not in KIND_KEYS)


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
            run.append(strip_possessive(word))
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
