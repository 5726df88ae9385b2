"""llama-index's view of our embedders, so its retrievers and query engines can use them."""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from .embedders import Embedder


class LlamaIndexEmbedding(BaseEmbedding):
    """Routes llama-index's query/text embedding calls to the right e5 prefix."""

    _embedder: Any = PrivateAttr()

    @classmethod
    def wrap(cls, embedder: Embedder) -> LlamaIndexEmbedding:
        wrapped = cls(model_name=embedder.name, embed_batch_size=32)
        wrapped._embedder = embedder
        return wrapped

    def _get_query_embedding(self, query: str) -> list[float]:
        return [float(x) for x in self._embedder.embed_queries([query])[0]]

    def _get_text_embedding(self, text: str) -> list[float]:
        return [float(x) for x in self._embedder.embed_passages([text])[0]]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self._embedder.embed_passages(texts)]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
