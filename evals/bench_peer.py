"""The retrieval peer: llama-index's own hybrid retriever over the same Chroma collection.

Dense top-k through ``VectorStoreIndex.from_vector_store`` plus ``BM25Retriever``, fused
by ``QueryFusionRetriever`` in reciprocal-rerank mode: what a user would assemble from
llama-index's parts. Query embedding is excluded from the timing on both sides, so the
peer's embed model hands back the query vectors computed before the clock starts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llama_index.core import VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.llms.mock import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import BaseNode, TextNode
from llama_index.retrievers.bm25 import BM25Retriever
from llama_index.vector_stores.chroma import ChromaVectorStore
from pydantic import PrivateAttr

from rag.types import Chunk


class PrecomputedQueryEmbedding(BaseEmbedding):
    """Returns the vector already computed for a benchmark query; embeds nothing itself."""

    _vectors: dict[str, list[float]] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, vectors: Mapping[str, Sequence[float]]) -> PrecomputedQueryEmbedding:
        model = cls(model_name="precomputed")
        model._vectors = {q: [float(x) for x in v] for q, v in vectors.items()}
        return model

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vectors[query]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vectors[query]

    def _get_text_embedding(self, text: str) -> list[float]:
        # The collection already holds every passage vector; a call here is a bench bug.
        raise RuntimeError("the benchmark peer must not embed passages")


def peer_retriever(
    collection: Any,
    chunks: Sequence[Chunk],
    query_vectors: Mapping[str, Sequence[float]],
    top_k: int,
) -> Callable[[str], list[str]]:
    """A function from question to the peer's fused chunk ids, best first."""
    embed_model = PrecomputedQueryEmbedding.of(query_vectors)
    index = VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=collection), embed_model=embed_model
    )
    nodes: list[BaseNode] = [TextNode(id_=c.chunk_id, text=c.text) for c in chunks]
    fusion = QueryFusionRetriever(
        [
            index.as_retriever(similarity_top_k=top_k),
            BM25Retriever.from_defaults(nodes=nodes, similarity_top_k=top_k),
        ],
        # num_queries=1 means no query rewriting, so the LLM is never called; passing one
        # keeps llama-index from resolving its default (OpenAI, over the network).
        llm=MockLLM(),
        mode=FUSION_MODES.RECIPROCAL_RANK,
        similarity_top_k=top_k,
        num_queries=1,
        use_async=False,
    )

    def retrieve(question: str) -> list[str]:
        return [scored.node.node_id for scored in fusion.retrieve(question)]

    return retrieve
