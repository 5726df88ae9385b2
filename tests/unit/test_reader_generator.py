"""What the reader generator makes of a reading: an answer the second look doubted is
replaced by the extractive quote only when that quote is of sentences the reader cited."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from rag.adapters.openai_client import LLMClient
from rag.generation.base import Draft
from rag.generation.candidates import Candidates
from rag.generation.llm import ReaderGenerator
from rag.generation.prompts import ReaderReply
from rag.generation.reader import Reading, SentenceReader
from rag.grounding.topic import ArticleText
from rag.language.question import Question
from rag.settings import Settings
from rag.turn import Evidence
from rag.types import CallerOptions, Hit
from tests.paragraph_hits import sample_hits

pytestmark = pytest.mark.unit

QUESTION = "When did the treaty take effect?"
NO_OPTIONS = CallerOptions()
DOUBTED = "the reader did not find its answer in the cited sentences"


class DoubtedReader(SentenceReader):
    """A reading whose answer passed the checks but not the second look, citing the
    candidates that contain ``cites``; it never calls its (unreachable) server."""

    def __init__(self, cites: str) -> None:
        unreachable = LLMClient("http://127.0.0.1:9/v1", "none")
        super().__init__(unreachable, threading.BoundedSemaphore(1), max_tokens=8)
        self.cites = cites

    def read(
        self,
        question: str,
        parts: Sequence[Question],
        candidates: Candidates,
        article_text: ArticleText,
        options: CallerOptions = NO_OPTIONS,
    ) -> Reading:
        cited = tuple(s for _, s in candidates.numbered if self.cites in s.text)
        numbers = tuple(n for n, s in candidates.numbered if s in cited)
        return Reading(None, DOUBTED, ReaderReply("On Monday.", numbers), doubted=cited)


@pytest.fixture(scope="module")
def hits(sample_dir: Path) -> list[Hit]:
    return sample_hits(sample_dir)


def _draft(cites: str, hits: list[Hit]) -> Draft:
    slots = threading.BoundedSemaphore(1)
    generator = ReaderGenerator(Settings(llm="local"), slots, reader=DoubtedReader(cites))
    steps = generator.draft(Evidence.of(QUESTION, hits, None), NO_OPTIONS)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            draft: Draft = stop.value
            return draft


def test_the_extractive_quote_of_a_sentence_the_reader_cited_stands(hits: list[Hit]) -> None:
    draft = _draft("The treaty took effect Wednesday", hits)
    assert draft.grounded is not None and draft.reason is None
    assert draft.grounded.answer.startswith("The treaty took effect Wednesday")
    assert "Monday" not in draft.grounded.answer  # the doubted wording is never shown


def test_a_doubted_answer_citing_other_sentences_is_refused(hits: list[Hit]) -> None:
    draft = _draft("Western sanctions", hits)
    assert draft.grounded is None and draft.reason == DOUBTED
