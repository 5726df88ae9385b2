"""Word-level pieces that several language and grounding modules read alike: what a word
is, the possessive ending, pronouns, and the role words that go with people.

One place for each, so that "a word" or "a pronoun" means the same thing to the terms
(``rag.language.terms``), the values (``rag.language.values``), question analysis
(``rag.language.question``) and the follow-up condensing (``rag.grounding.compose``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A number ("10,000", "2.5") or a run of letters with inner apostrophes ("O'Neill's").
WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’][^\W\d_]+)*")
_POSSESSIVE = r"['’]s"
_POSSESSIVE_END = re.compile(_POSSESSIVE + "$")
_POSSESSIVES = re.compile(_POSSESSIVE + r"\b")

# Personal pronouns (English, Ukrainian, Russian): a clause that has one speaks of
# someone named before.
PERSONAL_PRONOUNS = frozenset(
    "he she it they him her them his its their "
    "він вона воно вони його її їх "
    "он она оно они его её ее их".split()
)
# Words that point back at a place, time or thing named before ("there", "then", "that").
DEMONSTRATIVES = frozenset(
    "this that these those there then це той там тоді это этот там тогда".split()
)
# Roles that stand for a person: after "which" they ask for one ("which minister"),
# before a name they introduce one ("leader Kim Jong-un").
PERSON_ROLES = frozenset(
    "president minister leader chief boss executive director manager coach captain "
    "player striker actor actress singer writer author".split()
)


def strip_possessive(word: str) -> str:
    """``word`` without a final "'s" ("Ukraine's" → "Ukraine")."""
    return _POSSESSIVE_END.sub("", word)


def drop_possessives(text: str) -> str:
    """``text`` without any "'s" that ends a word; unlike ``strip_possessive`` it also
    cuts one inside a longer token ("a's'b" → "a'b"), as letter comparison wants."""
    return _POSSESSIVES.sub("", text)


def any_word(listed: Iterable[str]) -> re.Pattern[str]:
    """A pattern finding any of ``listed`` as a whole word, in any case."""
    alternatives = "|".join(re.escape(w) for w in sorted(listed))
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
