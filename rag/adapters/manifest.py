"""The manifest: which documents and chunks are live, in one SQLite file.

It is the source of truth for "what is in the index". Chroma and the lexical index are
written first and the manifest is committed last, in one transaction, so a crash at any
point leaves the previous state intact: vectors that no committed document names are
ignored by retrieval and swept up by the next ingestion.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..errors import StorageError
from ..language.dates import published_timestamp
from ..types import Article, Chunk, DocumentInfo, DocumentSort, Scope
from .sqlite_file import open_shared

# published_ts: seconds since the epoch (NULL when the date is unknown); root: the folder
# a file was ingested from (NULL for uploads), which `--prune` compares with the folder.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT UNIQUE NOT NULL, title TEXT, url TEXT,
    published TEXT, sha256 TEXT NOT NULL, text TEXT NOT NULL, ingested_at TEXT NOT NULL,
    published_ts REAL, author TEXT, root TEXT);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, ord INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""
# Columns later versions added, in the order they follow the first ones.
_ADDED_COLUMNS = {"published_ts": "REAL", "author": "TEXT", "root": "TEXT"}
_DOCUMENT_COLUMNS = (
    "doc_id, source, title, url, published, sha256, text, ingested_at, published_ts, author, root"
)
# Set once every vector in Chroma carries its document's published_ts (see `chroma_dated`).
_CHROMA_DATED = "chroma_dated"
_ORDER: dict[DocumentSort, str] = {
    "source": "d.source",
    "published": "d.published_ts IS NULL, d.published_ts DESC, d.source",
    "title": "d.title IS NULL, lower(d.title), d.source",
}
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
        self._db = open_shared(path, _SCHEMA, "manifest")
        self._lock = threading.RLock()
        self._migrate()

    def _migrate(self) -> None:
        """Bring a manifest written by an earlier version up to this schema, in place.

        Writes only when something is missing: a read-only manifest that is up to date
        still opens."""
        if not self._outdated(self._db):
            return
        with self._transaction() as db:
            present = {str(row[1]) for row in db.execute("PRAGMA table_info(documents)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE documents ADD COLUMN {name} {kind}")
            if "published_ts" not in present:
                dated = db.execute("SELECT doc_id, published FROM documents").fetchall()
                db.executemany(
                    "UPDATE documents SET published_ts = ? WHERE doc_id = ?",
                    [(published_timestamp(p), d) for d, p in dated if p],
                )
            # Vectors are written with published_ts since this version: with no documents
            # yet, none can lack it.
            if not db.execute("SELECT 1 FROM documents LIMIT 1").fetchall():
                db.execute("INSERT OR IGNORE INTO meta VALUES (?, '1')", (_CHROMA_DATED,))

    @staticmethod
    def _outdated(db: sqlite3.Connection) -> bool:
        present = {str(row[1]) for row in db.execute("PRAGMA table_info(documents)")}
        if not present.issuperset(_ADDED_COLUMNS):
            return True
        empty = not db.execute("SELECT 1 FROM documents LIMIT 1").fetchall()
        marked = db.execute("SELECT 1 FROM meta WHERE key = ?", (_CHROMA_DATED,)).fetchall()
        return empty and not marked

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

    def commit(
        self,
        documents: Sequence[tuple[Article, Sequence[Chunk]]],
        roots: Mapping[str, str] | None = None,
    ) -> None:
        """Make these articles (and exactly these chunks of them) the live version;
        ``roots`` maps a source to the folder its file was ingested from."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        roots = roots or {}
        with self._transaction() as db:
            for article, chunks in documents:
                db.execute("DELETE FROM chunks WHERE doc_id = ?", (article.doc_id,))
                db.execute("DELETE FROM documents WHERE source = ?", (article.source,))
                db.execute(
                    f"INSERT INTO documents ({_DOCUMENT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        article.doc_id,
                        article.source,
                        article.title,
                        article.url,
                        article.published,
                        article.sha256,
                        article.text,
                        now,
                        published_timestamp(article.published),
                        article.author,
                        roots.get(article.source),
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

    def documents(self, sort: DocumentSort = "source") -> list[DocumentInfo]:
        """Every document; by ``published``, newest first and the undated last."""
        rows = self._rows(
            "SELECT d.doc_id, d.source, d.title, COUNT(c.chunk_id), d.ingested_at, d.published, "
            "d.author, d.url FROM documents d LEFT JOIN chunks c ON c.doc_id = d.doc_id "
            f"GROUP BY d.doc_id ORDER BY {_ORDER[sort]}"
        )
        keys = ("doc_id", "source", "title", "chunks", "ingested_at", "published", "author", "url")
        return [DocumentInfo.model_validate(dict(zip(keys, r, strict=True))) for r in rows]

    def adopt(self, roots: Mapping[str, str]) -> None:
        """Record the folder each of these sources was read from, where it differs from
        the one recorded (documents from before roots were kept have none)."""
        stored = {str(s): r for s, r in self._rows("SELECT source, root FROM documents")}
        moved = [
            (root, source) for source, root in roots.items() if stored.get(source, root) != root
        ]
        if moved:
            with self._transaction() as db:
                db.executemany("UPDATE documents SET root = ? WHERE source = ?", moved)

    def sources_under(self, root: str) -> dict[str, str]:
        """source -> doc_id of the documents ingested from the folder ``root``."""
        rows = self._rows("SELECT source, doc_id FROM documents WHERE root = ?", (root,))
        return {str(source): str(doc_id) for source, doc_id in rows}

    def admitted(self, ids: Sequence[str], scope: Scope) -> set[str]:
        """The live chunks among ``ids`` that ``scope`` lets an answer draw on."""
        clauses, args = _scope_sql(scope)
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            batch = list(ids[i : i + 500])
            marks = ",".join("?" * len(batch))
            sql = (
                "SELECT c.chunk_id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
                f"WHERE c.chunk_id IN ({marks}){''.join(f' AND {c}' for c in clauses)}"
            )
            found.update(str(r[0]) for r in self._rows(sql, [*batch, *args]))
        return found

    def chroma_dated(self) -> bool:
        """Whether every vector carries published_ts, so Chroma can filter dates itself
        (vectors written before dates were recorded have none until `published_by_chunk`
        is written back to them)."""
        return bool(self._rows("SELECT 1 FROM meta WHERE key = ?", (_CHROMA_DATED,)))

    def mark_chroma_dated(self) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES (?, '1')", (_CHROMA_DATED,))

    def redate(self, normalise: Callable[[str], str | None]) -> None:
        """Read every stored date again with ``normalise`` (an earlier version stored them
        as the source wrote them), with its published_ts."""
        rows = self._rows("SELECT doc_id, published FROM documents WHERE published IS NOT NULL")
        changed = [(iso, d) for d, p in rows if (iso := normalise(str(p))) != p]
        if not changed:
            return
        with self._transaction() as db:
            db.executemany(
                "UPDATE documents SET published = ?, published_ts = ? WHERE doc_id = ?",
                [(iso, published_timestamp(iso), d) for iso, d in changed],
            )

    def published_by_chunk(self) -> dict[str, float]:
        """chunk_id -> published_ts of every chunk of a dated document."""
        rows = self._rows(
            "SELECT c.chunk_id, d.published_ts FROM chunks c JOIN documents d "
            "ON d.doc_id = c.doc_id WHERE d.published_ts IS NOT NULL"
        )
        return {str(chunk_id): float(str(ts)) for chunk_id, ts in rows}

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


def _scope_sql(scope: Scope) -> tuple[list[str], list[object]]:
    """SQL conditions on ``documents d`` for ``scope``; NULL dates fail any date bound."""
    clauses: list[str] = []
    args: list[object] = []
    if scope.sources:
        clauses.append(f"d.source IN ({','.join('?' * len(scope.sources))})")
        args.extend(scope.sources)
    low, high = scope.bounds()
    if low is not None:
        clauses.append("d.published_ts >= ?")
        args.append(low)
    if high is not None:
        clauses.append("d.published_ts <= ?")
        args.append(high)
    return clauses, args
