"""Ingest throughput: real end-to-end ingestion beside the embedder's raw speed.

Both run in the same process on the same chunk texts, so the ratio says how much the
pipeline (loading, chunking, Chroma writes, manifest, BM25) costs on top of embedding.
The raw side embeds the chunk texts alone, while ingestion prefixes a deep chunk with
its headline: the raw side does slightly less work, so the ratio errs low.
"""

from __future__ import annotations

import time
from pathlib import Path

from evals.synth import write_corpus
from index.ingest import ingest_paths
from rag.adapters.embedders import Embedder
from rag.retrieval.corpus import Corpus
from rag.settings import Settings


def _raw_embed_per_s(embedder: Embedder, texts: list[str], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(texts), batch):
        embedder.embed_passages(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - started)


def bench_ingest(root: Path, base: Settings, embedder: Embedder, articles: int) -> dict[str, float]:
    """Ingest ``articles`` synthetic articles twice into a fresh data folder."""
    folder = write_corpus(root / "ingest-articles", articles, seed=1)
    settings = base.model_copy(update={"data_dir": root / "ingest-data"})
    corpus = Corpus(settings, embedder)
    try:
        first = ingest_paths(corpus, [folder])
        second = ingest_paths(corpus, [folder])
        texts = [c.text for c in corpus.manifest.all_chunks()]
    finally:
        corpus.close()
    chunks_per_s = first.chunks_embedded / first.seconds
    raw = _raw_embed_per_s(embedder, texts, settings.embed_batch)
    return {
        "articles": articles,
        "chunks": first.chunks_embedded,
        "seconds": first.seconds,
        "chunks_per_s": round(chunks_per_s, 2),
        "raw_embed_per_s": round(raw, 2),
        "ratio": round(chunks_per_s / raw, 3),
        "reingest_seconds": second.seconds,
        "reingest_speedup": round(first.seconds / max(second.seconds, 1e-6), 1),
        "reingest_new_vectors": second.chunks_embedded,
    }
