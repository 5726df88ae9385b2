"""The lexical (BM25) side of hybrid retrieval, persisted beside the vector store.

bm25s builds a static index, so each ingestion writes a new one into a fresh folder and
then swaps a pointer file atomically: a reader never sees a half-written index, and the
recorded manifest generation tells when an index is stale (e.g. after a crash).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from contextlib import suppress
from functools import lru_cache
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from ..errors import StorageError

_POINTER = "current.json"


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    tokens = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )
    return [list(t) for t in tokens]


def saved_generation(root: Path) -> int | None:
    """The manifest generation of the index saved under ``root``; None if there is none."""
    try:
        return int(json.loads((root / _POINTER).read_text())["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


class LexicalIndex:
    """BM25 over chunk texts; ``search`` returns (chunk_id, score) best first."""

    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None, generation: int) -> None:
        self.ids = ids
        self._retriever = retriever
        self.generation = generation

    @classmethod
    def build(cls, ids: Sequence[str], texts: Sequence[str], generation: int) -> LexicalIndex:
        if not ids:
            return cls([], None, generation)
        retriever = bm25s.BM25()
        retriever.index(tokenize(texts), show_progress=False)
        return cls(list(ids), retriever, generation)

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        if self._retriever is None or k <= 0:
            return []
        terms = self._retriever.get_tokens_ids(tokenize([query])[0])
        if not terms:
            return []
        # Scored here rather than by ``BM25.retrieve``, which costs twice as much per
        # question (a worker thread and progress bars each call) at 100k chunks.
        scores = self._retriever.get_scores(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[int(d)], float(scores[d])) for d in top if scores[d] > 0]

    def save(self, root: Path) -> None:
        """Write into a new folder, then point ``current.json`` at it in one rename.

        A write that fails (read-only folder, disk full) leaves the pointer on the last
        complete index, removes what it half wrote and raises `StorageError`.
        """
        folder = root / f"gen-{self.generation}-{os.getpid()}"
        tmp = root / f"{_POINTER}.{os.getpid()}.tmp"
        try:
            root.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            (folder / "ids.json").write_text(json.dumps(self.ids))
            if self._retriever is not None:
                self._retriever.save(str(folder / "bm25"))
            tmp.write_text(json.dumps({"folder": folder.name, "generation": self.generation}))
            os.replace(tmp, root / _POINTER)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            with suppress(OSError):
                tmp.unlink(missing_ok=True)
            raise StorageError(f"the BM25 index in {root} cannot be written: {exc}") from exc
        for old in root.glob("gen-*"):
            if old.name != folder.name:
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, root: Path) -> LexicalIndex | None:
        """The last saved index, or None when there is none or it cannot be read."""
        try:
            pointer = json.loads((root / _POINTER).read_text())
            folder = root / pointer["folder"]
            ids = json.loads((folder / "ids.json").read_text())
            retriever = bm25s.BM25.load(str(folder / "bm25")) if ids else None
        except (OSError, ValueError, KeyError):
            return None
        return cls(ids, retriever, int(pointer["generation"]))
