"""A small model's short answer is kept only when it is an answer span of the evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.extractive import analyse_for, extractive_answer
from rag.reader import read_span
from rag.types import Hit
from tests.paragraph_hits import sample_hits

pytestmark = pytest.mark.unit
WHO = "Who exchanged the ratification documents?"


@pytest.fixture(scope="module")
def hits(sample_dir: Path) -> list[Hit]:
    return sample_hits(sample_dir)


def read(question: str, reply: str, hits: list[Hit]) -> str | None:
    evidence = extractive_answer(question, hits, None)
    assert evidence.citations, "the evidence must answer for this test to mean anything"
    span = read_span(reply, analyse_for(question, hits), evidence)
    if span is None:
        return None
    assert span.citations[0].quote == evidence.citations[0].quote
    return span.answer


def test_a_copied_answer_next_to_the_question_words_is_kept(hits: list[Hit]) -> None:
    assert read(WHO, "Andrei Rudenko", hits) == "Andrei Rudenko [1]."
    assert read(WHO, "  the Andrei Rudenko. ", hits) == "Andrei Rudenko [1]."


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        (WHO, "North Korea"),  # in the sentence, but far from "exchanged": not the answer
        (WHO, "Kim Jong Gyu and Andrei Rudenko"),  # not a span: words between are missing
        (WHO, "Kim Jong Gyu and Russia’s Vice Foreign Minister Andrei Rudenko exchanged"),
        (WHO, "ratification documents"),  # repeats the question
        (WHO, "Wednesday"),  # not a person
        ("Who is Andrei Rudenko?", "Kim Jong Gyu"),  # a description is asked for
        ("How did North Korea ratify the treaty?", "Kim Jong-un"),  # a name is no "how"
        ("When did the treaty take effect?", "Moscow"),  # not a time
    ],
)
def test_anything_else_is_dropped(hits: list[Hit], question: str, reply: str) -> None:
    assert read(question, reply, hits) is None


def test_a_time_for_when(hits: list[Hit]) -> None:
    assert read("When did the treaty take effect?", "Wednesday", hits) == "Wednesday [1]."
