"""The pipeline with every collaborator injected: a fake retriever and fake generators
around the real extractive fallback, over an empty real corpus (embedded Chroma)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from rag.adapters.embedders import Matrix
from rag.errors import LLMUnavailableError
from rag.generation.base import Draft, Drafting
from rag.generation.extractive import ExtractiveGenerator, extractive_answer
from rag.generation.llm import ReaderGenerator
from rag.generation.prompts import REFUSAL
from rag.generation.reader import ReaderOutputError
from rag.pipeline import Assistant
from rag.retrieval.corpus import Corpus
from rag.settings import GeneratorName, Settings
from rag.turn import Evidence
from rag.types import CallerOptions, Hit, Scope, StreamEvent
from tests.conftest import free_port
from tests.paragraph_hits import sample_hits

pytestmark = pytest.mark.unit

QUESTION = "Who exchanged the ratification documents?"


class CountingEmbedder:
    """Deterministic vectors from a hash of the text; counts what is embedded."""

    name = "counting/sha256"
    dim = 16

    def __init__(self) -> None:
        self.queries: list[str] = []
        self.passages = 0

    def _vectors(self, texts: Sequence[str]) -> Matrix:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:16], np.uint8) for t in texts]
        matrix = np.array(rows, dtype=np.float32) - 127.5
        normalised: Matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        return normalised

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        self.queries += texts
        return self._vectors(texts)

    def embed_passages(self, texts: Sequence[str]) -> Matrix:
        self.passages += len(texts)
        return self._vectors(texts)


class FixedRetriever:
    """Returns the same hits, embedding the question as the hybrid retriever does."""

    def __init__(self, hits: list[Hit], assistant_holder: list[Assistant]) -> None:
        self.hits = hits
        self.asked: list[tuple[str, int]] = []
        self._holder = assistant_holder

    def retrieve(self, question: str, top_k: int, scope: Scope | None = None) -> list[Hit]:
        self._holder[0].similarity.query_vector(question)
        self.asked.append((question, top_k))
        return self.hits


class FakeReader:
    """An LLM generator that names what it reads, then answers, refuses or fails."""

    def __init__(self, outcome: Draft | LLMUnavailableError) -> None:
        self.outcome = outcome
        self.closed = 0

    tokens_generated = 7

    def draft(self, evidence: Evidence, options: CallerOptions) -> Drafting:
        yield StreamEvent(event="reading", text="Reading", sources=[])
        if isinstance(self.outcome, LLMUnavailableError):
            raise self.outcome
        return self.outcome

    def healthy(self) -> bool:
        return not isinstance(self.outcome, LLMUnavailableError)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture(scope="module")
def hits(sample_dir: Path) -> list[Hit]:
    return sample_hits(sample_dir)


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def _assistant(
    settings: Settings, embedder: CountingEmbedder, hits: list[Hit], reader: FakeReader
) -> tuple[Assistant, FixedRetriever]:
    holder: list[Assistant] = []
    retriever = FixedRetriever(hits, holder)
    generators: dict[GeneratorName, object] = {
        "local": reader,
        "openai": reader,
        "extractive": ExtractiveGenerator(),
    }
    assistant = Assistant(
        settings,
        corpus=Corpus(settings, embedder),
        retriever=retriever,
        generators=generators,
    )
    holder.append(assistant)
    return assistant, retriever


def _expected(hits: list[Hit]) -> str:
    return extractive_answer(Evidence.of(QUESTION, hits)).answer


def test_an_injected_generator_answers_through_the_injected_retriever(
    settings: Settings, embedder: CountingEmbedder, hits: list[Hit]
) -> None:
    grounded = extractive_answer(Evidence.of(QUESTION, hits))
    assistant, retriever = _assistant(settings, embedder, hits, FakeReader(Draft(grounded, None)))
    answer = assistant.ask(QUESTION, top_k=3, generator="local")
    assert retriever.asked == [(QUESTION, 3)]
    assert (answer.refused, answer.generator, answer.notice) == (False, "local", None)
    assert answer.answer == grounded.answer
    assert [c.quote for c in answer.citations] == [c.quote for c in grounded.citations]
    assert assistant.tokens_generated() == 7 * 2  # the fake serves two names
    assistant.close()


@pytest.mark.parametrize(
    ("failure", "notice"),
    [
        (LLMUnavailableError("connection refused"), "LLM unavailable"),
        (ReaderOutputError("not JSON"), "LLM's reply was not in the format asked for"),
    ],
)
def test_an_llm_that_cannot_answer_gives_the_extractive_answer_with_a_notice(
    settings: Settings,
    embedder: CountingEmbedder,
    hits: list[Hit],
    failure: LLMUnavailableError,
    notice: str,
) -> None:
    local = settings.model_copy(update={"llm": "local"})
    assistant, _ = _assistant(local, embedder, hits, FakeReader(failure))
    events = list(assistant.stream(QUESTION))
    answer = events[-1].answer
    assert answer is not None
    assert [e.event for e in events[:2]] == ["reading", "token"]
    assert answer.answer == _expected(hits)
    assert answer.notice == f"{notice}, extractive answer instead: {failure}"
    assert answer.generator == "local"
    assert assistant.readiness() == {"store": True, "generator": False}
    assistant.close()


def test_a_generator_that_finds_nothing_refuses_with_its_reason(
    settings: Settings, embedder: CountingEmbedder, hits: list[Hit]
) -> None:
    reader = FakeReader(Draft(None, "the reader found no answer in the sources"))
    assistant, _ = _assistant(settings, embedder, hits, reader)
    answer = assistant.ask(QUESTION, generator="openai")
    assert (answer.answer, answer.refused) == (REFUSAL, True)
    assert answer.notice == "the reader found no answer in the sources"
    assert answer.citations == []
    assistant.close_clients()
    assert reader.closed == 2


def test_the_reader_is_not_asked_when_no_article_names_what_the_question_asks_about(
    settings: Settings, embedder: CountingEmbedder, hits: list[Hit]
) -> None:
    """Any answer would be dropped by the near-miss check, so nothing is sent to the model
    (its server here is a closed port: asking it would fall back with a notice)."""
    dead = settings.model_copy(
        update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_retries": 0}
    )
    assistant, _ = _assistant(dead, embedder, hits, FakeReader(LLMUnavailableError("unused")))
    assistant.generators["openai"] = ReaderGenerator(dead, threading.BoundedSemaphore(1))
    absent = assistant.ask("What did Boris Johnson say about the treaty?", generator="openai")
    assert (absent.answer, absent.refused) == (REFUSAL, True)
    assert absent.notice == (
        "No retrieved article states the names and numbers the question asks about."
    )
    named = assistant.ask(QUESTION, generator="openai")
    assert named.notice is not None and named.notice.startswith("LLM unavailable")
    assistant.close()


def test_the_question_is_embedded_once_per_turn(
    settings: Settings, embedder: CountingEmbedder, hits: list[Hit]
) -> None:
    """Retrieval and grounding (support scores, candidates, conflicts) share one vector."""
    assistant, _ = _assistant(settings, embedder, hits, FakeReader(LLMUnavailableError("down")))
    assistant.ask(QUESTION, generator="extractive")
    assert embedder.queries == [QUESTION]
    passages = embedder.passages
    assert passages > 0
    assistant.ask(QUESTION, generator="local")  # falls back: the same ranking again
    assert embedder.queries == [QUESTION]
    assert embedder.passages == passages  # the sentences' vectors are cached too
    assistant.close()
