"""A deterministic generator of news-like articles for scale tests and benchmarks.

Same seed, same corpus, on every machine: headlines, people, places, numbers and dates
drawn from small vocabularies, so retrieval has real lexical and semantic structure.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

_TOPICS = {
    "economy": ["inflation", "interest rates", "exports", "the budget", "unemployment", "tariffs"],
    "politics": ["the election", "a coalition deal", "the new bill", "a referendum", "sanctions"],
    "science": ["a vaccine trial", "the Mars probe", "a fusion reactor", "a new species"],
    "sport": ["the league final", "a transfer record", "the marathon", "a doping case"],
    "technology": ["a chip factory", "a data breach", "an AI model", "a satellite launch"],
}
_FIRST = [
    "Anna",
    "Boris",
    "Chen",
    "Dara",
    "Elif",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nadia",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tamar",
]
_LAST = [
    "Adler",
    "Baptiste",
    "Costa",
    "Dlamini",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
]
_PLACES = [
    "Lisbon",
    "Nairobi",
    "Oslo",
    "Quito",
    "Riga",
    "Seoul",
    "Tbilisi",
    "Utrecht",
    "Valencia",
    "Warsaw",
    "Yerevan",
    "Zagreb",
    "Accra",
    "Bergen",
    "Cork",
    "Dakar",
]
_ROLES = ["minister", "chief executive", "spokesperson", "analyst", "professor", "coach", "mayor"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_TEMPLATES = [
    "{person}, the {role} in {place}, said on {day} that {subject} would change by {pct}%.",
    "Officials in {place} confirmed that {subject} had cost {money} million euros since {month}.",
    '{person} told reporters that {subject} was "the most important issue of the year".',
    "Figures released on {day} showed {number} people in {place} were affected by {subject}.",
    "Critics of {subject} argued that the plan ignored {number} earlier warnings.",
    "The debate over {subject} is expected to return to {place} in {month}.",
    "{person} added that talks with partners in {place} would resume after {day}.",
    "A report published in {month} found that {subject} grew {pct}% faster than forecast.",
]


def _fill(rng: random.Random, template: str, subject: str) -> str:
    return template.format(
        person=f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        role=rng.choice(_ROLES),
        place=rng.choice(_PLACES),
        day=rng.choice(_DAYS),
        month=rng.choice(_MONTHS),
        subject=subject,
        pct=rng.randint(2, 60),
        money=rng.randint(3, 900),
        number=f"{rng.randint(100, 90000):,}",
    )


def article(rng: random.Random, sentences: int) -> tuple[str, str]:
    """(topic, text) — a headline line, then paragraphs of two or three sentences."""
    topic = rng.choice(sorted(_TOPICS))
    subject = rng.choice(_TOPICS[topic])
    headline = f"{rng.choice(_PLACES)}: new twist in {subject}"
    body = [_fill(rng, rng.choice(_TEMPLATES), subject) for _ in range(sentences)]
    paragraphs = [" ".join(body[i : i + 3]) for i in range(0, len(body), 3)]
    return topic, headline + "\n\n" + "\n\n".join(paragraphs) + "\n"


def generate(
    n: int, seed: int = 0, sentences: tuple[int, int] = (8, 16)
) -> Iterator[tuple[str, str]]:
    """Yield (relative path, text) for ``n`` articles."""
    rng = random.Random(seed)
    for i in range(n):
        topic, text = article(rng, rng.randint(*sentences))
        yield f"{topic}/{i:06d}.txt", text


def write_corpus(folder: Path, n: int, seed: int = 0) -> Path:
    """Write ``n`` articles under ``folder`` (one subfolder per topic) and return it."""
    for rel, text in generate(n, seed):
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder
