"""The Chroma vector store: embedded by default, a `chroma run` server when RAG_CHROMA_URL is set.

Writes go through llama-index's ``ChromaVectorStore`` so the collection holds ordinary
llama-index nodes (its own query engines can read it), but in batches we size from
``client.get_max_batch_size()``: ``ChromaVectorStore.add`` uses a fixed batch size that
a Chroma server may reject. Reads use the raw collection: the manifest already knows
every chunk's text and place, so a query needs ids and distances only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import numpy as np
from filelock import FileLock

from ..errors import (
    ConfigError,
    EmbedderMismatchError,
    RagError,
    StorageError,
    StoreUnavailableError,
)
from ..language.dates import published_timestamp
from ..settings import Settings
from ..types import Chunk, Scope
from .embedders import Matrix

# Chroma's own exceptions differ between embedded and HTTP mode; both are "store down".
# HttpClient lets httpx's transport errors (connection refused, timeouts) through as is.
_STORE_ERRORS: tuple[type[BaseException], ...] = (
    httpx.TransportError,
    OSError,
    ConnectionError,
    RuntimeError,
    ValueError,
)
# A write this big fails on a disk about to fill up, not only on a disk already full.
_PROBE_BYTES = 1 << 20
Where = dict[str, Any]


def chroma_where(scope: Scope, *, dates: bool = True) -> Where | None:
    """Chroma's ``where`` for ``scope``: sources by ``$in``, dates by ``published_ts``
    bounds (a chunk without the key fails them). ``dates=False`` leaves the dates out, for
    a store whose vectors do not all carry their date yet."""
    conditions: list[Where] = []
    if scope.sources:
        conditions.append({"source": {"$in": list(scope.sources)}})
    low, high = scope.bounds() if dates else (None, None)
    if low is not None:
        conditions.append({"published_ts": {"$gte": low}})
    if high is not None:
        conditions.append({"published_ts": {"$lte": high}})
    if len(conditions) > 1:  # Chroma's $and takes two conditions or more
        return {"$and": conditions}
    return conditions[0] if conditions else None


def _metadata(chunk: Chunk) -> dict[str, str | float]:
    metadata: dict[str, str | float] = {
        "source": chunk.source,
        "title": chunk.title or "",
        "published": chunk.published or "",
    }
    # Chroma metadata has no null: an undated chunk has no key, and fails any date bound.
    if (seconds := published_timestamp(chunk.published)) is not None:
        metadata["published_ts"] = seconds
    return metadata


@cache
def _store_errors() -> tuple[type[BaseException], ...]:
    # Embedded Chroma reports its own failures (a read-only or full disk among them) as
    # ChromaError; imported here, as the SDK is everywhere else in this module.
    from chromadb.errors import ChromaError

    return (*_STORE_ERRORS, ChromaError)


def _unwritable(folder: Path) -> str | None:
    """Why ``folder`` takes no writes (read-only, disk full, a file size limit), or None.

    Embedded Chroma names none of these: a full disk surfaces as "Failed to apply logs
    to the metadata segment". A probe write finds the cause.
    """
    probe = (folder if folder.is_dir() else folder.parent) / f".write-probe-{os.getpid()}"
    try:
        with probe.open("wb") as file:
            file.write(bytes(_PROBE_BYTES))
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        with suppress(OSError):
            probe.unlink()
    return None


def _client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_url:  # its folder is made by `_opening`
        return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"RAG_CHROMA_URL must be http://host:port, not {settings.chroma_url}")
    return chromadb.HttpClient(
        host=url.hostname,
        port=url.port or (443 if url.scheme == "https" else 8000),
        ssl=url.scheme == "https",
        settings=chroma_settings,
    )


@contextmanager
def _opening(settings: Settings) -> Iterator[None]:
    """Held while a process opens the embedded store: one at a time per folder.

    Two processes opening a fresh folder at once (two ingests, two API workers) both run
    Chroma's schema migrations, and the loser fails with "table collections already
    exists". A folder that takes no lock file is read-only, and nobody migrates it.
    """
    if settings.chroma_url:
        yield
        return
    lock = FileLock(str(settings.chroma_dir / "open.lock"), timeout=settings.request_timeout_s)
    try:
        settings.chroma_dir.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except OSError:  # read-only, or a peer stuck opening: Chroma reports what is wrong
        yield
        return
    try:
        yield
    finally:
        lock.release()


class VectorStore:
    """One Chroma collection, tagged with the embedder that filled it."""

    def __init__(self, settings: Settings, embedder_name: str, dim: int) -> None:
        # Only an embedded store's disk is ours to diagnose; a server's is its own.
        self._local_dir = None if settings.chroma_url else settings.chroma_dir
        try:
            with _opening(settings):
                self._client = _client(settings)
                self._collection = self._client.get_or_create_collection(
                    name=settings.collection,
                    # Never let Chroma embed: its default function downloads a model.
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine"}},
                    metadata={"embedder": embedder_name, "dim": dim},
                )
            self.max_batch = int(self._client.get_max_batch_size())
        except _store_errors() as exc:
            raise self._failure("Chroma is not reachable", exc) from exc
        found = self._collection.metadata or {}
        if found.get("embedder") != embedder_name or int(found.get("dim", -1)) != dim:
            raise EmbedderMismatchError(
                f"collection '{settings.collection}' was built with {found.get('embedder')} "
                f"(dim {found.get('dim')}), not {embedder_name} (dim {dim}); "
                "re-ingest into a new collection (--collection) or switch RAG_EMBED back"
            )
        self.name = settings.collection

    def _failure(self, what: str, exc: BaseException) -> RagError:
        """The error for a failed Chroma call: the data folder's fault, or the store's."""
        reason = _unwritable(self._local_dir) if self._local_dir is not None else None
        if reason is not None:
            return StorageError(f"the data folder {self._local_dir} cannot be written: {reason}")
        return StoreUnavailableError(f"{what}: {exc}")

    @property
    def collection(self) -> Any:
        return self._collection

    def _batches(self, items: Sequence[Any]) -> Iterator[Sequence[Any]]:
        for i in range(0, len(items), self.max_batch):
            yield items[i : i + self.max_batch]

    def existing(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        try:
            for batch in self._batches(ids):
                found.update(self._collection.get(ids=list(batch), include=[])["ids"])
        except _store_errors() as exc:
            raise StoreUnavailableError(f"reading from Chroma failed: {exc}") from exc
        return found

    def add(self, chunks: Sequence[Chunk], vectors: Matrix) -> None:
        from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
        from llama_index.vector_stores.chroma import ChromaVectorStore

        li_store = ChromaVectorStore(chroma_collection=self._collection)
        nodes = [
            TextNode(
                id_=c.chunk_id,
                text=c.text,
                embedding=[float(x) for x in vec],
                start_char_idx=c.start,
                end_char_idx=c.end,
                metadata=_metadata(c),
                relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=c.doc_id)},
            )
            for c, vec in zip(chunks, vectors, strict=True)
        ]
        try:
            for batch in self._batches(nodes):
                li_store.add(list(batch))
        except _store_errors() as exc:
            raise self._failure("writing to Chroma failed", exc) from exc

    def delete(self, ids: Sequence[str]) -> None:
        try:
            for batch in self._batches(ids):
                self._collection.delete(ids=list(batch))
        except _store_errors() as exc:
            raise self._failure("deleting from Chroma failed", exc) from exc

    def set_published(self, published: dict[str, float]) -> None:
        """Write ``published_ts`` into the metadata of existing vectors (chunk_id -> seconds);
        Chroma merges the key into what each vector's metadata holds."""
        ids = sorted(published)
        try:
            for batch in self._batches(ids):
                self._collection.update(
                    ids=list(batch), metadatas=[{"published_ts": published[i]} for i in batch]
                )
        except _store_errors() as exc:
            raise self._failure("updating Chroma failed", exc) from exc

    def all_ids(self, page: int = 10000) -> set[str]:
        ids: set[str] = set()
        offset = 0
        try:
            while batch := self._collection.get(include=[], limit=page, offset=offset)["ids"]:
                ids.update(batch)
                offset += len(batch)
        except _store_errors() as exc:
            raise StoreUnavailableError(f"reading from Chroma failed: {exc}") from exc
        return ids

    def count(self) -> int:
        return int(self._collection.count())

    def query(self, vector: Matrix, k: int, where: Where | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine distances, optionally only those ``where`` admits
        (see `chroma_where`)."""
        try:
            res = self._collection.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)],
                n_results=k,
                where=where,
                include=["distances"],
            )
        except _store_errors() as exc:
            raise StoreUnavailableError(f"querying Chroma failed: {exc}") from exc
        return list(zip(res["ids"][0], (float(d) for d in res["distances"][0]), strict=True))

    def healthy(self) -> bool:
        try:
            self._client.heartbeat()
        except _store_errors():
            return False
        return True
