"""The reader's second look against the real 1.5B reader: claims that borrow a cited
sentence's words but not its meaning (another person's role, another count, another
event) are not confirmed; what the sentence does state is. And a question of two parts
read by it: a checked claim per part."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from rag.generation.candidates import Candidates
from rag.generation.reader import SentenceReader
from rag.language.question import analyse
from rag.language.sentences import SourceSentence
from tests.integration.test_llm import reader

pytestmark = pytest.mark.integration


def _sentence(text: str) -> SourceSentence:
    return SourceSentence(text=text, start=0, end=len(text), source="a.txt", chunk_id="c")


SIGNED = _sentence(
    "The agreement was signed in June this year by North Korean leader Kim Jong-un and "
    "Russian President Vladimir Putin."
)
EXCHANGED = _sentence(
    "The treaty took effect Wednesday after North Korea's Vice Foreign Minister Kim Jong Gyu "
    "and Russia's Vice Foreign Minister Andrei Rudenko exchanged ratification documents."
)
TROOPS = _sentence(
    "North Korea has sent over 10,000 troops to assist Russia in its war against Ukraine."
)
BOTH = "Kim Jong Gyu and Andrei Rudenko"

CASES = [
    ("Who exchanged the ratification documents?", BOTH, EXCHANGED, True),
    ("Who signed the agreement?", "Kim Jong-un and Vladimir Putin", SIGNED, True),
    ("How many troops has North Korea sent to help Russia?", "Over 10,000", TROOPS, True),
    # Every name and number below is in its sentence, so the rule checks pass them all.
    ("Who is the current president of South Korea?", "Kim Jong-un", SIGNED, False),
    ("What is the name of Russia's ambassador to North Korea?", "Vladimir Putin", SIGNED, False),
    ("How many North Korean soldiers have been killed in Ukraine?", "Over 10,000", TROOPS, False),
    ("How many artillery shells has North Korea given Russia?", "10,000", TROOPS, False),
    ("When was the agreement ratified by the Duma?", "In June", SIGNED, False),
]  # fmt: skip


@pytest.mark.parametrize(("question", "answer", "cited", "stated"), CASES)
def test_only_what_the_cited_sentence_states_is_confirmed(
    llm_server: str, question: str, answer: str, cited: SourceSentence, stated: bool
) -> None:
    checker = SentenceReader(reader(llm_server), threading.BoundedSemaphore(1), max_tokens=96)
    assert checker.confirms(question, answer, [cited]) is stated


def test_a_question_of_two_parts_gets_a_checked_claim_for_each(llm_server: str) -> None:
    question = "Who signed the agreement, and who exchanged the ratification documents?"
    parts = analyse(question)
    assert len(parts) == 2
    # One article: each sentence at its own offset.
    troops, signed, exchanged = (
        replace(s, start=at, end=at + len(s.text))
        for s, at in ((TROOPS, 0), (SIGNED, 200), (EXCHANGED, 400))
    )
    candidates = Candidates(numbered=((1, troops), (2, signed), (3, exchanged)), best_support=1)
    reader_ = SentenceReader(reader(llm_server), threading.BoundedSemaphore(1), max_tokens=96)
    reading = reader_.read(question, parts, candidates, lambda _source: None)
    assert reading.grounded is not None, reading.reason
    first, second = reading.grounded.answer.split("]. ", 1)
    assert "Putin" in first and "Rudenko" in second  # in the order of the parts
    assert [c.quote for c in reading.grounded.citations] == [signed.text, exchanged.text]
    assert reading.grounded.answer.endswith("Rudenko [2].")
