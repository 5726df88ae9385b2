"""The answer kinds: each one entry saying how a question asks for it and what answers it.

A question's *first* interrogative decides what an answering sentence has to state
(``rag.language.question``). Each kind here is one ``AnswerKind``:

- ``pattern``: the interrogatives that ask for it (English, Ukrainian, Russian);
- ``values``: the typed values (``rag.language.values``) that answer it;
- ``check``: how ``rag.grounding.needs.Needs.states_answer`` judges a sentence (`Check`);
- ``conflicts``: the values that, differing across sources, are a conflict
  (``rag.grounding.conflicts``), in the order they are stated, each with its topic.

The kinds and what an answer must hold:

- when: a weekday, date, month, year, relative day ("yesterday") or clock time;
- date: a day of a month; day: a weekday, a date or a relative day; month; year;
- time (of day): a clock time or a part of the day;
- number (how many/much/old, what share/age): a number;
- duration (how long, in what time): a number with a unit of time;
- amount (how much, what share/fraction/price): money, a percentage, a fraction or a
  measured quantity;
- who (also "which actress"): a person's name the question does not already contain,
  after a title or role or of two words or more; org ("which company"): any such name;
- where: such a name after "in", "at", "to"...

To add a kind: name it in ``QuestionKind`` and add its entry to ``KINDS`` at the place
its pattern should take. The order of ``KINDS`` matters: at the same position in a
question the earlier entry (the more specific) wins. A value kind it needs that
``rag.language.values`` does not read yet is added there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .lexicon import PERSON_ROLES
from .values import ValueKind

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
# How a sentence is judged to state the answer (``Needs.states_answer``): "value", it
# holds a value of the kind's ``values``; "counted", such a value next to what is
# counted (when the sentence is in the question's script); "person", a person's name the
# question does not contain; "name", any such name; "place", such a name after a
# locative ("in Moscow"), or anywhere in a short answer span.
Check = Literal["value", "counted", "person", "name", "place"]


@dataclass(frozen=True, slots=True)
class AnswerKind:
    """One kind of answer (see the module docstring)."""

    name: QuestionKind
    pattern: re.Pattern[str]
    values: frozenset[ValueKind]
    check: Check
    conflicts: tuple[tuple[ValueKind, str], ...] = ()


def by_name(kinds: Iterable[AnswerKind]) -> Mapping[QuestionKind, AnswerKind]:
    """The kinds by name, in their order; a name given twice is an error."""
    found: dict[QuestionKind, AnswerKind] = {}
    for kind in kinds:
        if kind.name in found:
            raise ValueError(f"answer kind {kind.name!r} has two entries")
        found[kind.name] = kind
    return found


# "Which actress…", "What company…": the noun says what kind of name answers.
_PERSON_NOUNS = "|".join(
    sorted(
        PERSON_ROLES
        | frozenset(
            "person man woman men women people businessman businesswoman official officials "
            "politician mp star artist musician member athlete champion".split()
        )
    )
)
_ORG_NOUNS = (
    "company|firm|group|agency|bank|band|club|team|party|organisation|organization|network"
    "|broadcaster|newspaper|channel|carmaker|airline|retailer|government|governments|country"
    "|countries|nation|nations|union|studio|label"
)
_I = re.IGNORECASE
# Compared values and the topic their disagreement is stated under ("the sources disagree
# on the day"); a number's topic gets what is counted ("number of shells").
_DAY: tuple[ValueKind, str] = ("weekday", "day")
_DATE: tuple[ValueKind, str] = ("date", "date")
_MONTH: tuple[ValueKind, str] = ("month", "month")
_YEAR: tuple[ValueKind, str] = ("year", "year")
_COUNT: tuple[ValueKind, str] = ("number", "number")

KINDS: Mapping[QuestionKind, AnswerKind] = by_name(
    (
        AnswerKind(
            "time",
            re.compile(
                r"\bat what time\b|\bwhat time\b|\bwhat hour\b"
                r"|\bо котрій\b|\bво сколько\b|\bв котором часу\b",
                _I,
            ),
            frozenset({"clock", "daypart"}),
            "value",
        ),
        AnswerKind(
            "duration",
            re.compile(
                r"\bhow long\b|\bin what time\b|\bfor how (?:many|much)\b"
                r"|\bhow many (?:years|months|weeks|days|hours|minutes|seconds)\b"
                r"|\bяк довго\b|\bкак долго\b|\bскільки (?:часу|років|днів)\b"
                r"|\bсколько (?:времени|лет|дней)\b",
                _I,
            ),
            frozenset({"duration"}),
            "value",
        ),
        AnswerKind(
            "year",
            re.compile(r"\b(?:what|which) year\b|\b(?:якого|якому) році?\b|\bкаком году\b", _I),
            frozenset({"year"}),
            "value",
            (_YEAR,),
        ),
        AnswerKind(
            "month",
            re.compile(r"\b(?:what|which) month\b|\bяко(?:го|му) місяц\w*|\bкаком месяц\w*", _I),
            frozenset({"month", "date"}),
            "value",
            (_DATE, _MONTH),
        ),
        AnswerKind(
            "date",
            re.compile(
                r"\b(?:what|which) (?:\w+ )?date\b|\bякого числа\b|\bкакого числа\b"
                r"|\b(?:якої|какой) (?:дати|даты)",
                _I,
            ),
            frozenset({"date"}),
            "value",
            (_DATE,),
        ),
        AnswerKind(
            "day",
            re.compile(
                r"\b(?:what|which) (?:\w+ )?(?:day|weekday)\b"
                r"|\b(?:яки[йх]|якого|какой|какого) (?:день|дня)",
                _I,
            ),
            frozenset({"weekday", "date", "relative"}),
            "value",
            (_DAY, _DATE),
        ),
        AnswerKind(
            "when",
            re.compile(r"\bwhen\b|\bколи\b|\bкогда\b", _I),
            frozenset({"weekday", "date", "month", "year", "relative", "clock"}),
            "value",
            (_DAY, _DATE, _MONTH, _YEAR),
        ),
        AnswerKind(
            "amount",
            re.compile(
                r"\bhow much\b|\b(?:what|which) (?:\w+ )?(?:percentage|proportion|share|fraction"
                r"|price|sum|amount|fee|fine|salary|cost)\b",
                _I,
            ),
            frozenset({"money", "percent", "fraction", "quantity"}),
            "counted",
            # Amounts are compared as the numbers they hold ("$800m" is 8e8).
            (_COUNT,),
        ),
        AnswerKind(
            "number",
            re.compile(
                r"\bhow (?:many|old|far|tall|big|large|high|often)\b|\bwhat (?:number|age)\b"
                r"|\bскільки\b|\bсколько\b",
                _I,
            ),
            frozenset({"number"}),
            "counted",
            (_COUNT,),
        ),
        AnswerKind(
            "who",
            re.compile(
                rf"\bwho(?:m|se)?\b|\b(?:which|what) (?:\w+ ){{0,2}}(?:{_PERSON_NOUNS})\b"
                r"|\bхто\b|\bкого\b|\bкто\b|\bчий\b|\bчей\b",
                _I,
            ),
            frozenset(),
            "person",
        ),
        AnswerKind(
            "org",
            re.compile(rf"\b(?:which|what) (?:\w+ ){{0,2}}(?:{_ORG_NOUNS})\b", _I),
            frozenset(),
            "name",
        ),
        AnswerKind(
            "where",
            re.compile(
                r"\bwhere\b|\b(?:what|which) (?:city|town|country|place|venue|region)\b"
                r"|\bде\b|\bгде\b|\bкуди\b|\bкуда\b|\bв якому місті\b|\bв каком городе\b",
                _I,
            ),
            frozenset(),
            "place",
        ),
    )
)
