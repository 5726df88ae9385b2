"""The manifest: which documents and chunks are live, in one SQLite file.

It is the source of truth for "what is in the index". Chroma and the lexical index are
written first and the manifest is committed last, in one transaction, so a crash at any
point leaves the previous state intact: vectors that no committed document names are
ignored by retrieval and swept up by the next ingestion.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from .errors import StorageError
from .types import Article, Chunk, DocumentInfo

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT UNIQUE NOT NULL, title TEXT, url TEXT,
    published TEXT, sha256 TEXT NOT NULL, text TEXT NOT NULL, ingested_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, ord INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""
_CHUNK_SELECT = """
SELECT c.chunk_id, c.doc_id, d.source, substr(d.text, c.start + 1, c."end" - c.start),
       c.start, c."end", d.title, d.published
FROM chunks c JOIN documents d ON d.doc_id = c.doc_id
"""


def _chunk(row: Sequence[object]) -> Chunk:
    keys = ("chunk_id", "doc_id", "source", "text", "start", "end", "title", "published")
    return Chunk.model_validate(dict(zip(keys, row, strict=True)))


class Manifest:
    """Thread-safe access to the manifest; WAL lets readers run while one process writes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA busy_timeout=10000")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(f"cannot open manifest {path}: {exc}") from exc
        self._lock = threading.RLock()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.OperationalError as exc:  # read-only, disk full, I/O error
                raise StorageError(f"the manifest {self._path} cannot be written: {exc}") from exc

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    def generation(self) -> int:
        rows = self._rows("SELECT value FROM meta WHERE key = 'generation'")
        return int(str(rows[0][0])) if rows else 0

    def _bump(self, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO meta VALUES ('generation', '1') ON CONFLICT(key) "
            "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def hashes(self) -> dict[str, str]:
        """source -> sha256 of the committed text."""
        return {str(s): str(h) for s, h in self._rows("SELECT source, sha256 FROM documents")}

    def chunk_ids(self, doc_ids: Iterable[str] | None = None) -> set[str]:
        if doc_ids is None:
            return {str(r[0]) for r in self._rows("SELECT chunk_id FROM chunks")}
        ids: set[str] = set()
        for doc_id in doc_ids:
            ids.update(
                str(r[0])
                for r in self._rows("SELECT chunk_id FROM chunks WHERE doc_id = ?", (doc_id,))
            )
        return ids

    def commit(self, documents: Sequence[tuple[Article, Sequence[Chunk]]]) -> None:
        """Make these articles (and exactly these chunks of them) the live version."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as db:
            for article, chunks in documents:
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (article.doc_id,))
                db.execute("DELETE FROM documents WHERE source = ?", (article.source,))
                db.execute(
                    "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article.doc_id,
                        article.source,
                        article.title,
                        article.url,
                        article.published,
                        article.sha256,
                        article.text,
                        now,
                    ),
                )
                db.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?)",
                    [(c.chunk_id, c.doc_id, c.start, c.end, i) for i, c in enumerate(chunks)],
                )
            self._bump(db)

    def delete(self, doc_ids: Sequence[str]) -> None:
        with self._transaction() as db:
            for doc_id in doc_ids:
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
            self._bump(db)

    def find_document(self, key: str) -> str | None:
        """A document's id from its id or its source path."""
        rows = self._rows("SELECT doc_id FROM documents WHERE doc_id = ? OR source = ?", (key, key))
        return str(rows[0][0]) if rows else None

    def documents(self) -> list[DocumentInfo]:
        rows = self._rows(
            "SELECT d.doc_id, d.source, d.title, COUNT(c.chunk_id), d.ingested_at, d.published "
            "FROM documents d LEFT JOIN chunks c ON c.doc_id = d.doc_id "
            "GROUP BY d.doc_id ORDER BY d.source"
        )
        keys = ("doc_id", "source", "title", "chunks", "ingested_at", "published")
        return [DocumentInfo.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    def chunks(self, ids: Sequence[str]) -> dict[str, Chunk]:
        """The live chunks among ``ids`` (ids that are not live are left out)."""
        found: dict[str, Chunk] = {}
        for i in range(0, len(ids), 500):
            batch = list(ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            for row in self._rows(f"{_CHUNK_SELECT} WHERE c.chunk_id IN ({marks})", batch):
                chunk = _chunk(row)
                found[chunk.chunk_id] = chunk
        return found

    def all_chunks(self) -> list[Chunk]:
        return [_chunk(r) for r in self._rows(f"{_CHUNK_SELECT} ORDER BY d.source, c.ord")]

    def article_text(self, source: str) -> str | None:
        rows = self._rows("SELECT text FROM documents WHERE source = ?", (source,))
        return str(rows[0][0]) if rows else None

    def close(self) -> None:
        with self._lock:
            self._db.close()
