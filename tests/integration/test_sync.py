"""Folders kept in step with the index: `ingest --prune` removes the documents of files gone
from a folder (and only those), `ingest --watch` follows a folder as it changes."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from index.ingest import ingest_paths, ingest_upload
from rag.adapters.embedders import Embedder
from rag.errors import LoaderError
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from tests.api_server import RAG, rag_env

pytestmark = pytest.mark.integration

WAIT_S = 180.0  # the watcher's start loads the embedding model


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _article(topic: str) -> str:
    return f"News about {topic}\nThe council discussed {topic} at length on Monday evening."


def _consistent(corpus: Corpus) -> None:
    """Chroma and BM25 hold exactly the chunks the manifest names."""
    live = corpus.manifest.chunk_ids()
    assert corpus.store.all_ids() == live
    assert set(corpus.lexical().ids) == live


def test_prune_removes_only_documents_of_files_gone_from_the_folder(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    folder, other = tmp_path / "watched", tmp_path / "other"
    for name in ("a", "b", "c", "sub/e"):
        _write(folder / f"{name}.txt", _article(name))
    _write(folder / "h.jsonl", '{"text": "First line story."}\n{"text": "Second line story."}\n')
    _write(other / "o.txt", _article("the other folder"))
    corpus = Corpus(settings, embedder)
    ingest_paths(corpus, [folder])
    ingest_paths(corpus, [other])
    ingest_upload(corpus, _article("an upload").encode(), "up.txt")
    # As an index from before folders were recorded: the next run records them.
    with sqlite3.connect(settings.manifest_path) as db:
        db.execute("UPDATE documents SET root = NULL WHERE root = ?", (str(folder.resolve()),))
    assert ingest_paths(corpus, [folder]).documents_unchanged == 6
    assert len(corpus.manifest.sources_under(str(folder.resolve()))) == 6

    _write(folder / "d.txt", _article("d"))  # added
    _write(folder / "b.txt", _article("b, changed"))  # changed
    (folder / "c.txt").unlink()  # deleted
    (folder / "sub" / "e.txt").unlink()
    _write(folder / "h.jsonl", '{"text": "First line story."}\n')  # a line deleted
    (folder / "a.txt").write_bytes(b"")  # unreadable now, but not gone
    report = ingest_paths(corpus, [folder], prune=True)

    assert (report.documents_added, report.documents_changed) == (1, 1)
    assert report.documents_removed == 3 and report.chunks_removed >= 3
    sources = {d.source for d in corpus.manifest.documents()}
    assert sources == {"a.txt", "b.txt", "d.txt", "h.jsonl#1", "o.txt", "up.txt"}
    assert "b, changed" in (corpus.manifest.article_text("b.txt") or "")
    _consistent(corpus)

    again = ingest_paths(corpus, [folder], prune=True)
    assert (again.documents_removed, again.documents_added, again.documents_changed) == (0, 0, 0)
    # A folder that is not there is an error, never "all of its files are gone".
    with pytest.raises(LoaderError, match="no such file or folder"):
        ingest_paths(corpus, [tmp_path / "unmounted"], prune=True)
    assert len(corpus.manifest.documents()) == len(sources)


def test_without_prune_nothing_is_removed(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    folder = tmp_path / "kept"
    _write(folder / "x.txt", _article("x"))
    _write(folder / "y.txt", _article("y"))
    corpus = Corpus(settings, embedder)
    ingest_paths(corpus, [folder])
    (folder / "y.txt").unlink()
    assert ingest_paths(corpus, [folder]).documents_removed == 0
    assert {d.source for d in corpus.manifest.documents()} == {"x.txt", "y.txt"}


def _documents(manifest: Path) -> dict[str, str]:
    """source -> text, read straight from the manifest the watcher writes (WAL lets a
    reader in while it writes); empty while it does not exist yet."""
    if not manifest.exists():
        return {}
    try:
        with sqlite3.connect(manifest, timeout=10) as db:
            return dict(db.execute("SELECT source, text FROM documents").fetchall())
    except sqlite3.OperationalError:  # the schema is being created
        return {}


def _wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not check():
        assert proc.poll() is None, f"the watcher exited with {proc.returncode}"
        assert time.monotonic() < deadline, f"not seen within {WAIT_S:g}s: {what}"
        time.sleep(0.2)


def test_watch_follows_the_folder_until_sigterm(tmp_path: Path) -> None:
    folder, data_dir = tmp_path / "inbox", tmp_path / "data"
    _write(folder / "one.txt", _article("the first file"))
    data_dir.mkdir()
    manifest = Settings(data_dir=data_dir).manifest_path
    with (tmp_path / "watch.log").open("w+", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [RAG, "ingest", "--watch", str(folder)],
            env=rag_env(data_dir),
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            _wait_for("the first run", lambda: set(_documents(manifest)) == {"one.txt"}, proc)
            _write(folder / "two.txt", _article("a second file"))
            _write(folder / "deeper" / "three.txt", _article("a third file"))
            added = {"one.txt", "two.txt", "deeper/three.txt"}
            _wait_for("files added", lambda: set(_documents(manifest)) == added, proc)
            _write(folder / "one.txt", _article("the first file, rewritten"))
            _wait_for(
                "a file changed",
                lambda: "rewritten" in _documents(manifest).get("one.txt", ""),
                proc,
            )
            (folder / "two.txt").unlink()
            kept = {"one.txt", "deeper/three.txt"}
            _wait_for("a file deleted", lambda: set(_documents(manifest)) == kept, proc)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        log.seek(0)
        output = log.read()
    runs = [line for line in output.splitlines() if " files: " in line]
    assert len(runs) >= 4, output  # one line per run: the first, added, changed, deleted
    assert any("1 removed;" in line for line in runs), output
    assert "Traceback" not in output
    # The lock is free: the watcher held it only while a run was writing.
    lock = FileLock(str(Settings(data_dir=data_dir).lock_path), timeout=0)
    lock.acquire()
    lock.release()


def test_a_prune_cut_short_after_its_commit_converges_on_the_next_run(
    settings: Settings, embedder: Embedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cut"
    for name in ("kept", "gone"):
        _write(folder / f"{name}.txt", _article(name))
    corpus = Corpus(settings, embedder)
    ingest_paths(corpus, [folder])
    gone_ids = corpus.manifest.chunk_ids([corpus.manifest.find_document("gone.txt") or ""])
    (folder / "gone.txt").unlink()

    def crash(ids: list[str]) -> None:
        if ids:  # the sweep before it deletes nothing
            raise OSError("the process died here")

    # Dies between the manifest commit and the removal of the vectors.
    monkeypatch.setattr(corpus.store, "delete", crash)
    with pytest.raises(OSError, match="died"):
        ingest_paths(corpus, [folder], prune=True)
    monkeypatch.undo()
    # Committed: the document is gone for every reader; its vectors are orphans only.
    assert {d.source for d in corpus.manifest.documents()} == {"kept.txt"}
    assert gone_ids <= corpus.store.all_ids()
    retriever_sources = {
        h.chunk.source for h in HybridRetriever(corpus).retrieve("council discussed gone", 5)
    }
    assert retriever_sources == {"kept.txt"}
    assert ingest_paths(corpus, [folder], prune=True).documents_removed == 0
    _consistent(corpus)
