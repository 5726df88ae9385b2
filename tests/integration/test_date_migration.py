"""An index written before dates were data keeps working: the manifest is migrated in
place on open, its vectors get their dates on the next ingestion, and date filters are
right before and after."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.dates import normalise_published
from index.ingest import ingest_paths
from rag.adapters.embedders import Embedder
from rag.adapters.manifest import Manifest
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.types import Scope
from tests.integration.test_date_filters import (
    NEW,
    NEWER,
    OLD,
    OLDER,
    QUESTION,
    UNDATED,
    write_harbour,
)

pytestmark = pytest.mark.integration

# The manifest's schema before published_ts, author and root.
OLD_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, source TEXT UNIQUE NOT NULL, title TEXT, url TEXT,
    published TEXT, sha256 TEXT NOT NULL, text TEXT NOT NULL, ingested_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, ord INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
"""
OLD_DOCUMENTS = [
    ("d1", "iso.txt", "2005-03-14"),
    ("d2", "rss.txt", "Mon, 14 Mar 2005 09:30:00 GMT"),  # stored as the feed wrote it
    ("d3", "none.txt", None),
]


def _old_manifest(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        for doc_id, source, published in OLD_DOCUMENTS:
            db.execute(
                "INSERT INTO documents VALUES (?, ?, NULL, NULL, ?, 'sha', 'Some text.', 'then')",
                (doc_id, source, published),
            )
            db.execute("INSERT INTO chunks VALUES (?, ?, 0, 10, 0)", (f"c-{doc_id}", doc_id))
        db.execute("INSERT INTO meta VALUES ('generation', '7')")


def _published_ts(path: Path) -> dict[str, float | None]:
    with sqlite3.connect(path) as db:
        return dict(db.execute("SELECT source, published_ts FROM documents").fetchall())


def test_an_old_manifest_is_migrated_in_place_and_keeps_its_documents(tmp_path: Path) -> None:
    path = tmp_path / "manifest.sqlite"
    _old_manifest(path)
    manifest = Manifest(path)
    docs = {d.source: d for d in manifest.documents()}
    assert set(docs) == {"iso.txt", "rss.txt", "none.txt"}
    assert all(d.chunks == 1 for d in docs.values()) and manifest.generation() == 7
    assert _published_ts(path) == {"iso.txt": 1110758400.0, "rss.txt": None, "none.txt": None}
    # Its vectors were written without dates, so Chroma cannot filter them yet.
    assert not manifest.chroma_dated()
    manifest.redate(normalise_published)
    redated = {d.source: d.published for d in manifest.documents()}
    assert redated == {
        "iso.txt": "2005-03-14",
        "rss.txt": "2005-03-14T09:30:00+00:00",
        "none.txt": None,
    }
    assert _published_ts(path)["rss.txt"] == 1110792600.0
    manifest.close()
    Manifest(path).close()  # a second open finds nothing to migrate


def test_a_new_or_empty_manifest_needs_no_backfill(tmp_path: Path) -> None:
    assert Manifest(tmp_path / "new.sqlite").chroma_dated()
    with sqlite3.connect(tmp_path / "old-empty.sqlite") as db:
        db.executescript(OLD_SCHEMA)
    assert Manifest(tmp_path / "old-empty.sqlite").chroma_dated()


def _make_old(corpus: Corpus) -> None:
    """Turn a fresh index into what the version before dates left: vectors without
    published_ts, the old manifest schema, a date as the source wrote it."""
    ids = sorted(corpus.store.all_ids())
    corpus.store.collection.update(ids=ids, metadatas=[{"published_ts": None}] * len(ids))
    corpus.close()
    with sqlite3.connect(corpus.settings.manifest_path) as db:
        for column in ("published_ts", "author", "root"):
            db.execute(f"ALTER TABLE documents DROP COLUMN {column}")
        db.execute("UPDATE documents SET published = 'June 1, 2025' WHERE source = ?", (NEW,))
        db.execute("DELETE FROM meta WHERE key = 'chroma_dated'")


def _sources(corpus: Corpus, scope: Scope) -> set[str]:
    return {h.chunk.source for h in HybridRetriever(corpus).retrieve(QUESTION, 5, scope)}


def _vector_dates(corpus: Corpus) -> dict[str, float | None]:
    got = corpus.store.collection.get(include=["metadatas"])
    return {m["source"]: m.get("published_ts") for m in got["metadatas"]}


def test_old_vectors_get_their_dates_on_the_next_ingestion(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    folder = write_harbour(tmp_path / "articles")
    ingest_paths(Corpus(settings, embedder), [folder])
    _make_old(Corpus(settings, embedder))

    upgraded = Corpus(settings, embedder)
    assert not upgraded.manifest.chroma_dated()
    assert set(_vector_dates(upgraded).values()) == {None}
    # Before the backfill the manifest filters the dates Chroma does not know: the ISO
    # date is already there; the date kept as written waits for the ingestion to read it.
    assert _sources(upgraded, Scope.model_validate(OLDER)) == {OLD}
    assert _sources(upgraded, Scope.model_validate(NEWER)) == set()

    report = ingest_paths(upgraded, [folder])
    assert (report.documents_unchanged, report.chunks_embedded) == (3, 0)
    assert upgraded.manifest.chroma_dated()
    assert _vector_dates(upgraded) == {OLD: 1675209600.0, NEW: 1748736000.0, UNDATED: None}
    assert {d.source: d.published for d in upgraded.manifest.documents()}[NEW] == "2025-06-01"
    assert _sources(upgraded, Scope.model_validate(NEWER)) == {NEW}
    assert _sources(upgraded, Scope.model_validate(OLDER)) == {OLD}
