"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache

from ..adapters.chroma_store import chroma_where
from ..adapters.embedders import Matrix
from ..thresholds import thresholds
from ..types import Hit, Scope
from .corpus import Corpus

# A side that cannot filter by itself ranks this many times the candidates, then keeps
# those the scope admits.
_OVERFETCH = 25
_EVERYTHING = Scope()
# Lexical searches in flight per process; each question runs one beside its dense side.
_LEXICAL_THREADS = 4


@cache
def _lexical_pool() -> ThreadPoolExecutor:
    """One pool for every retriever, made on the first question rather than at import."""
    return ThreadPoolExecutor(_LEXICAL_THREADS, thread_name_prefix="bm25")


def rrf(rankings: Sequence[Sequence[str]], k: int | None = None) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(id) = sum over rankings of 1 / (k + rank), with
    ``rrf_k`` of ``rag.thresholds`` unless ``k`` is given."""
    k = thresholds().rrf_k if k is None else k
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


class HybridRetriever:
    """Fuses both rankings; only chunks the manifest names as live are returned."""

    def __init__(self, corpus: Corpus, query_vector: Callable[[str], Matrix] | None = None) -> None:
        """``query_vector`` embeds a question; the pipeline passes its cached one, so a
        question is embedded once per turn for retrieval and grounding together."""
        self.corpus = corpus
        self._query_vector = query_vector or self._embed_query

    def _embed_query(self, question: str) -> Matrix:
        vector: Matrix = self.corpus.embedder.embed_queries([question])[0]
        return vector

    def retrieve(self, question: str, top_k: int, scope: Scope | None = None) -> list[Hit]:
        """The ``top_k`` best chunks among those ``scope`` admits (all, by default)."""
        return self.retrieve_with_vector(question, self._query_vector(question), top_k, scope)

    def retrieve_with_vector(
        self, question: str, vector: Matrix, top_k: int, scope: Scope | None = None
    ) -> list[Hit]:
        scope = scope or _EVERYTHING
        n = max(top_k * thresholds().candidates_per_result, 20)
        # Both sides wait in native code (HNSW, BM25's sparse scoring), so running them
        # side by side costs the slower of the two instead of their sum.
        lexical_side = _lexical_pool().submit(self._lexical, question, n, scope)
        dense = self._dense(vector, n, scope)
        lexical = lexical_side.result()
        fused = rrf([dense, lexical])
        # Ids retired by an ingestion still running are not live: look up a few extra.
        wanted = [cid for cid, _ in fused[: top_k * 2]]
        chunks = self.corpus.manifest.chunks(wanted)
        if len(chunks) < min(top_k, len(fused)):
            chunks = self.corpus.manifest.chunks([cid for cid, _ in fused])
        dense_rank = {cid: i for i, cid in enumerate(dense, start=1)}
        lexical_rank = {cid: i for i, cid in enumerate(lexical, start=1)}
        live = [(cid, score) for cid, score in fused if cid in chunks][:top_k]
        return [
            Hit(
                chunk=chunks[cid],
                score=score,
                dense_rank=dense_rank.get(cid),
                lexical_rank=lexical_rank.get(cid),
            )
            for cid, score in live
        ]

    def _dense(self, vector: Matrix, n: int, scope: Scope) -> list[str]:
        store, manifest = self.corpus.store, self.corpus.manifest
        if not scope.dated or manifest.chroma_dated():
            return [cid for cid, _ in store.query(vector, n, chroma_where(scope))]
        # Vectors stored before dates were recorded lack published_ts until the next
        # ingestion writes it: Chroma filters the sources, the manifest the dates.
        ranked = [
            cid for cid, _ in store.query(vector, n * _OVERFETCH, chroma_where(scope, dates=False))
        ]
        return self._admitted(ranked, scope)[:n]

    def _lexical(self, question: str, n: int, scope: Scope) -> list[str]:
        if scope.everything:
            return [cid for cid, _ in self.corpus.lexical().search(question, n)]
        # BM25 has no metadata filter: over-fetch, then keep what the scope admits.
        ranked = [cid for cid, _ in self.corpus.lexical().search(question, n * _OVERFETCH)]
        return self._admitted(ranked, scope)[:n]

    def _admitted(self, ranked: Sequence[str], scope: Scope) -> list[str]:
        allowed = self.corpus.manifest.admitted(ranked, scope)
        return [cid for cid in ranked if cid in allowed]
