"""Grounding with the real multilingual embedder over the samples, then with BBC distractors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.adapters.embedders import Embedder, Matrix
from rag.generation.extractive import answering_sentences, extractive_answer
from rag.grounding.conflicts import detect_conflicts
from rag.grounding.refusal import should_refuse
from rag.turn import Evidence
from rag.types import Chunk, Hit
from tests.paragraph_hits import as_hits, paragraph_chunks, read_article, sample_articles

pytestmark = pytest.mark.integration

WHO_EN = "Who exchanged the ratification documents?"
WHO_UK = "Хто обмінявся ратифікаційними документами?"
UNANSWERABLE = (
    "What is the capital of Australia?",
    "How many artillery shells did North Korea send?",
)
# BBC articles most likely to be retrieved for these questions, plus an arbitrary slice.
_DISTRACTOR = re.compile(r"Australia|capital|Korea|treaty|shells|artillery|ratif")
_DISTRACTORS = 40
TOP_K = 5


class Grounding:
    """The real embedder behind a cached similarity and a plain dense top-k retrieval."""

    def __init__(self, embedder: Embedder, chunks: Sequence[Chunk]) -> None:
        self.embedder = embedder
        self.chunks = list(chunks)
        self._passages: dict[str, Matrix] = {}
        self._matrix: Matrix = self._embed_passages([c.text for c in self.chunks])

    def _embed_passages(self, texts: Sequence[str]) -> Matrix:
        missing = [t for t in dict.fromkeys(texts) if t not in self._passages]
        for text, vector in zip(missing, self.embedder.embed_passages(missing), strict=True):
            self._passages[text] = vector
        return np.stack([self._passages[t] for t in texts]).astype(np.float32)

    def similarity(self, text: str, candidates: Sequence[str]) -> list[float]:
        query = self.embedder.embed_queries([text])[0]
        return [float(v) for v in self._embed_passages(candidates) @ query]

    def retrieve(self, question: str) -> list[Hit]:
        query = self.embedder.embed_queries([question])[0]
        order = np.argsort(-(self._matrix @ query))[:TOP_K]
        return as_hits([self.chunks[i] for i in order])


@pytest.fixture(scope="module")
def samples(sample_dir: Path, embedder: Embedder) -> Grounding:
    articles = sample_articles(sample_dir).values()
    return Grounding(embedder, [c for a in articles for c in paragraph_chunks(a)])


@pytest.fixture(scope="module")
def with_bbc(samples: Grounding, bbc_dir: Path, embedder: Embedder) -> Grounding:
    paths = sorted(bbc_dir.glob("*/*.txt"))
    likely = [p for p in paths if _DISTRACTOR.search(p.read_text(errors="replace"))]
    chosen = list(dict.fromkeys(likely[: _DISTRACTORS // 2] + paths[:: len(paths) // 20]))
    articles = [read_article(p, p.relative_to(bbc_dir).as_posix()) for p in chosen]
    return Grounding(embedder, samples.chunks + [c for a in articles for c in paragraph_chunks(a)])


def answer_kim(grounding: Grounding, question: str) -> None:
    hits = grounding.retrieve(question)
    result = extractive_answer(Evidence.of(question, hits, grounding.similarity))
    assert not should_refuse(question, hits, result.support).refused
    first = result.citations[0]
    assert "Kim Jong Gyu" in first.quote and "Andrei Rudenko" in first.quote
    assert result.answer.startswith(first.quote[:-1] + " [1].")


def refuse(grounding: Grounding, question: str) -> None:
    hits = grounding.retrieve(question)
    support = extractive_answer(Evidence.of(question, hits, grounding.similarity)).support
    decision = should_refuse(question, hits, support)
    assert decision.refused, f"{question!r} answered with support {support:.3f}"


@pytest.mark.parametrize("question", [WHO_EN, WHO_UK])
def test_the_exchange_sentence_answers_in_both_languages(samples: Grounding, question: str) -> None:
    answer_kim(samples, question)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_questions_the_samples_do_not_answer_are_refused(samples: Grounding, question: str) -> None:
    refuse(samples, question)


def test_quotes_are_verbatim(samples: Grounding, sample_dir: Path) -> None:
    articles = sample_articles(sample_dir)
    hits = samples.retrieve(WHO_EN)
    for citation in extractive_answer(Evidence.of(WHO_EN, hits, samples.similarity)).citations:
        assert articles[citation.source].text[citation.start : citation.end] == citation.quote


def test_report_day_conflict(samples: Grounding) -> None:
    question = "On which day did KCNA report that the agreement came into force?"
    hits = samples.retrieve(question)
    answering = answering_sentences(Evidence.of(question, hits, samples.similarity))
    (conflict,) = detect_conflicts(question, [(s, n) for n, s in enumerate(answering, start=1)])
    assert conflict.topic == "day" and len(conflict.citations) == 2
    claims = " ".join(conflict.claims)
    assert "on Wednesday" in claims and "reported Thursday" in claims


@pytest.mark.parametrize("question", [WHO_EN, WHO_UK])
def test_answers_hold_among_bbc_distractors(with_bbc: Grounding, question: str) -> None:
    answer_kim(with_bbc, question)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_refusals_hold_among_bbc_distractors(with_bbc: Grounding, question: str) -> None:
    refuse(with_bbc, question)
