"""One handle on everything that holds the corpus: embedder, vectors, manifest, BM25."""

from __future__ import annotations

import threading

from ..adapters.chroma_store import VectorStore
from ..adapters.embedders import Embedder, get_embedder
from ..adapters.manifest import Manifest
from ..settings import Settings
from .bm25 import LexicalIndex


class Corpus:
    """Opened once per process; cheap to query, safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.store = VectorStore(settings, self.embedder.name, self.embedder.dim)
        self.manifest = Manifest(settings.manifest_path)
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()

    def build_lexical(self) -> LexicalIndex:
        chunks = self.manifest.all_chunks()
        return LexicalIndex.build(
            [c.chunk_id for c in chunks], [c.text for c in chunks], self.manifest.generation()
        )

    def lexical(self) -> LexicalIndex:
        """The BM25 index matching the committed manifest, reloaded when ingestion moved on."""
        generation = self.manifest.generation()
        with self._lock:
            if self._lexical is None or self._lexical.generation != generation:
                loaded = LexicalIndex.load(self.settings.lexical_dir)
                if loaded is None or loaded.generation != generation:
                    # Saved index is missing or stale (a crash before it was written):
                    # rebuild in memory; only ingestion writes it to disk.
                    loaded = self.build_lexical()
                self._lexical = loaded
            return self._lexical

    def close(self) -> None:
        self.manifest.close()
