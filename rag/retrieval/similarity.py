"""Embedding similarity between a text and candidate sentences, both sides cached.

Grounding scores every sentence of every retrieved chunk against the question and each
claim; the same chunks come back for related questions, so their sentence vectors are
kept (bounded LRU) instead of being re-embedded on every call. Query vectors are kept
too (a smaller LRU): retrieval embeds the question through ``query_vector``, and grounding
then finds it there instead of embedding it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from ..adapters.embedders import Embedder, Matrix

_CACHE_SIZE = 50_000
_QUERY_CACHE_SIZE = 1_000


class CachedSimilarity:
    """Callable as ``rag.types.Similarity``: cosine of ``text`` (as a query) to each candidate."""

    def __init__(self, embedder: Embedder, size: int = _CACHE_SIZE) -> None:
        self._embedder = embedder
        self._size = size
        self._vectors: OrderedDict[str, Matrix] = OrderedDict()
        self._queries: OrderedDict[str, Matrix] = OrderedDict()
        self._lock = threading.Lock()

    def query_vector(self, text: str) -> Matrix:
        """``text`` embedded as a query (once while it stays in the cache)."""
        with self._lock:
            cached = self._queries.get(text)
            if cached is not None:
                self._queries.move_to_end(text)
                return cached
        vector: Matrix = self._embedder.embed_queries([text])[0]
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > _QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def _passages(self, texts: Sequence[str]) -> Matrix:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        fresh = self._embedder.embed_passages(missing) if missing else None
        with self._lock:
            for text, vector in zip(missing, fresh if fresh is not None else [], strict=False):
                self._vectors[text] = vector
            for text in texts:
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
            rows: Matrix = np.stack([self._vectors[t] for t in texts])
        return rows

    def __call__(self, text: str, candidates: Sequence[str]) -> list[float]:
        if not candidates:
            return []
        return [float(x) for x in self._passages(candidates) @ self.query_vector(text)]
