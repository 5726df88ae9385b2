"""Small unique articles for the soak test: each states one fact no other document states.

Names are invented from syllables hashed out of (run, client, number), so a question
about one article has exactly one right source however many the soak has uploaded, and
the lexical side of retrieval finds it by a word nothing else contains.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

_SYLLABLES = (
    "ka lo mi ren tu vas zel dor fin gal hep jor nim pra sol tev bru wyn cas quo mar sib dek ov"
).split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


@dataclass(frozen=True)
class SoakFact:
    """One generated article and a question only it answers."""

    source: str
    text: str
    question: str
    value: str


def _word(seed: bytes, syllables: int) -> str:
    letters = "".join(_SYLLABLES[byte % len(_SYLLABLES)] for byte in seed[:syllables])
    return letters.capitalize()


def _bridge(name: str, town: str, person: str, number: int, day: str) -> tuple[str, str, str]:
    text = (
        f"{town} opens the {name} footbridge\n\n"
        f"The {name} footbridge in {town}, designed by the engineer {person}, spans "
        f"{number} metres over the river. It opened to walkers on {day}, the council said.\n"
    )
    return text, f"How many metres does the {name} footbridge span?", f"{number} metres"


def _festival(name: str, town: str, person: str, number: int, day: str) -> tuple[str, str, str]:
    visitors = f"{number * 100:,}"
    text = (
        f"# {name} festival draws a crowd\n\n"
        f"The {name} music festival in {town} drew {visitors} visitors this year, "
        f"its organiser {person} said on {day}. "
        "Tickets sold out two weeks before the first concert.\n"
    )
    return text, f"How many visitors did the {name} music festival draw?", visitors


def make_fact(run: str, client: int, number: int) -> SoakFact:
    """The ``number``-th article of ``client`` in soak ``run``: a .txt or a .md file."""
    seed = hashlib.blake2b(f"{run}/{client}/{number}".encode(), digest_size=16).digest()
    name = _word(seed, 4)
    town = _word(seed[4:], 3)
    person = f"{_word(seed[7:], 2)} {_word(seed[9:], 3)}"
    value = 100 + int.from_bytes(seed[12:14], "big") % 900
    day = _WEEKDAYS[seed[14] % len(_WEEKDAYS)]
    if number % 2:
        text, question, answer = _festival(name, town, person, value, day)
        suffix = "md"
    else:
        text, question, answer = _bridge(name, town, person, value, day)
        suffix = "txt"
    return SoakFact(f"soak-{run}-{client}-{number}.{suffix}", text, question, answer)
