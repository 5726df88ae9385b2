"""Ingestion into a real Chroma (embedded and `chroma run`): idempotent, precise, recoverable."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
from filelock import FileLock

from index.ingest import delete_documents, ingest_paths
from rag.adapters.embedders import Embedder, Matrix
from rag.errors import IndexLockedError, NotFoundError
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from rag.types import Scope

pytestmark = pytest.mark.integration

QUESTION = "Who exchanged the ratification documents?"


class CountingEmbedder:
    """The real embedder, with a count of the passages it was asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.passages = 0

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> Matrix:
        self.passages += len(texts)
        return self.inner.embed_passages(texts)


@pytest.fixture(params=["embedded", "server"])
def corpus_settings(request: pytest.FixtureRequest, settings: Settings, tmp_path: Path) -> Settings:
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        server = settings.model_copy(update={"chroma_url": url})
        return server.with_collection(f"t{abs(hash(tmp_path)) % 10**9}")
    return settings


def _store_ids(corpus: Corpus) -> set[str]:
    return corpus.store.all_ids()


def test_ingest_reingest_change_delete(
    corpus_settings: Settings, embedder: Embedder, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(sample_dir, folder)
    counting = CountingEmbedder(embedder)
    corpus = Corpus(corpus_settings, counting)

    first = ingest_paths(corpus, [folder])
    assert (first.documents_added, first.chunks_added) == (2, first.chunks_embedded)
    assert first.chunks_added == corpus.store.count() > 0
    assert _store_ids(corpus) == corpus.manifest.chunk_ids()

    embedded_before = counting.passages
    again = ingest_paths(corpus, [folder])
    assert (again.documents_unchanged, again.chunks_added, again.chunks_embedded) == (2, 0, 0)
    assert counting.passages == embedded_before

    untouched = {c.chunk_id for c in corpus.manifest.all_chunks() if c.source.startswith("000")}
    edited = folder / "001_a4b0b9614c74e4e8.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nA new closing line.", "utf-8")
    changed = ingest_paths(corpus, [folder])
    assert (changed.documents_changed, changed.documents_unchanged) == (1, 1)
    assert changed.chunks_removed >= 1
    after = {c.chunk_id for c in corpus.manifest.all_chunks() if c.source.startswith("000")}
    assert after == untouched
    assert _store_ids(corpus) == corpus.manifest.chunk_ids()
    assert "A new closing line." in (corpus.manifest.article_text(edited.name) or "")

    removed = delete_documents(corpus, [edited.name])
    assert removed.documents_removed == 1
    assert _store_ids(corpus) == corpus.manifest.chunk_ids() == untouched
    assert all(cid in untouched for cid in corpus.lexical().ids)
    with pytest.raises(NotFoundError):
        delete_documents(corpus, ["no-such-doc"])


def test_vector_query_finds_the_right_article(
    corpus_settings: Settings, embedder: Embedder, sample_dir: Path
) -> None:
    corpus = Corpus(corpus_settings, embedder)
    ingest_paths(corpus, [sample_dir])
    nearest = corpus.store.query(embedder.embed_queries([QUESTION])[0], k=3)
    top = corpus.manifest.chunks([nearest[0][0]])[nearest[0][0]]
    assert top.source == "001_a4b0b9614c74e4e8.txt" and "Rudenko" in top.text
    hits = HybridRetriever(corpus).retrieve(QUESTION, top_k=3)
    assert hits[0].chunk.source == "001_a4b0b9614c74e4e8.txt"
    only = HybridRetriever(corpus).retrieve(
        QUESTION, 3, Scope(sources=["000_aff0d55bc72581f4.txt"])
    )
    assert only and {h.chunk.source for h in only} == {"000_aff0d55bc72581f4.txt"}


def test_second_writer_gets_index_locked(
    settings: Settings, embedder: Embedder, sample_dir: Path
) -> None:
    corpus = Corpus(settings, embedder)
    with FileLock(str(settings.lock_path)), pytest.raises(IndexLockedError, match="locked"):
        ingest_paths(corpus, [sample_dir])
    assert corpus.manifest.documents() == []


def test_unreadable_files_are_skipped_and_the_rest_ingested(
    settings: Settings, embedder: Embedder, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    shutil.copytree(sample_dir, folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "cyrillic.txt").write_bytes("Новости дня: договор вступил в силу.".encode("cp1251"))
    report = ingest_paths(Corpus(settings, embedder), [folder])
    assert report.documents_added == 3
    assert sorted(s.split(":")[0] for s in report.skipped) == ["empty.txt", "image.txt"]


def test_a_folder_of_bad_files_ingests_the_rest_and_names_each_refusal(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    folder, outside = tmp_path / "articles", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "private.txt").write_text("Private notes about the Zephyr Lantern Festival.")
    (folder / "linked.txt").symlink_to(outside / "private.txt")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    mixed = "Кім Чен Ин прибув до Москви.".encode() + "\nДоговор вступил в силу.".encode("cp1251")
    (folder / "mixed.txt").write_bytes(mixed)
    deep = b"<div>" * 50_000 + b"The lantern parade crossed the old town." + b"</div>" * 50_000
    (folder / "deep.html").write_bytes(deep)
    corpus = Corpus(settings, embedder)
    report = ingest_paths(corpus, [folder])
    reasons = dict(line.split(": ", 1) for line in report.skipped)
    # deep.html is stored whole: 50,000 nested tags are past what trafilatura parses (lxml).
    assert set(reasons) == {"linked.txt", "linked-folder", "photo.txt", "deep.html"}
    assert "main text not found, page kept whole" in reasons["deep.html"]
    assert "outside the folder" in reasons["linked.txt"]
    assert "outside the folder" in reasons["linked-folder"]
    assert "PNG image" in reasons["photo.txt"]
    assert sorted(d.source for d in corpus.manifest.documents()) == ["deep.html", "mixed.txt"]
    assert "Договор вступил в силу." in (corpus.manifest.article_text("mixed.txt") or "")
    assert not any("Private" in c.text for c in corpus.manifest.all_chunks())
