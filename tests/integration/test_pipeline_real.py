"""The real pipeline over the ingested samples: what one turn asks of the embedder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from rag.adapters.embedders import Embedder, Matrix
from rag.pipeline import Assistant
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from tests.api_server import copy_index

pytestmark = pytest.mark.integration


class Counting:
    """The real embedder, with the query texts it was asked to embed recorded."""

    def __init__(self, inner: Embedder) -> None:
        self.name, self.dim = inner.name, inner.dim
        self._inner = inner
        self.queries: list[str] = []

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        self.queries += texts
        return self._inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Matrix:
        return self._inner.embed_passages(texts)


@pytest.mark.parametrize("generator", ["extractive", "local"])
def test_a_turn_embeds_its_question_once_for_retrieval_and_grounding(
    index: Path, tmp_path: Path, embedder: Embedder, generator: str
) -> None:
    """Hybrid retrieval, support scores, the reader's candidates and the conflict check
    all use one query vector. (`local` at a dead server: the candidates are ranked, then
    the extractive fallback answers from the same ranking.)"""
    settings = Settings(
        data_dir=copy_index(index, tmp_path / "data"),
        llm="local",
        llm_base_url="http://127.0.0.1:9/v1",
        llm_retries=0,
    )
    counting = Counting(embedder)
    assistant = Assistant(settings, Corpus(settings, counting))
    try:
        answer = assistant.ask("Who exchanged the ratification documents?", generator=generator)
    finally:
        assistant.close()
    assert not answer.refused
    assert counting.queries == ["Who exchanged the ratification documents?"]
