"""Idempotent, crash-safe ingestion of files into the corpus.

Order of writes per batch: vectors into Chroma, then the manifest commit (the moment the
new version becomes live), then removal of the replaced vectors. A crash before the
commit leaves unreferenced vectors that retrieval ignores and the next run sweeps; a crash
after it leaves only garbage to sweep. Chunk ids are content hashes, so a re-run finds the
vectors it already wrote and embeds nothing twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PureWindowsPath

from filelock import FileLock, Timeout
from tqdm import tqdm

from rag.errors import IndexLockedError, LoaderError, NotFoundError, StorageError
from rag.retrieval.bm25 import saved_generation
from rag.retrieval.corpus import Corpus
from rag.types import Article, Chunk, IngestReport

from .chunking import chunk_article
from .dates import normalise_published
from .loaders import LoadedFile, iter_files, load_bytes, load_file

Progress = Callable[[IngestReport], None]
"""Called with the report so far whenever a file is read or a batch of chunks embedded
(API jobs show it; the CLI has tqdm). It must be quick: it runs inside the write lock."""


def _no_progress(_report: IngestReport) -> None:
    return None


# One queue per lock file in this process. The file lock alone cannot tell a writer in
# another process from a concurrent upload in this one (flock conflicts between two open
# files of one process too), so the API answered 409 to uploads that should just wait.
_queues: dict[str, threading.Lock] = {}
_queues_guard = threading.Lock()


def _writer_queue(lock_path: Path) -> threading.Lock:
    with _queues_guard:
        return _queues.setdefault(str(lock_path.resolve()), threading.Lock())


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Keeps writers of other processes out; fails at once rather than interleave."""
    lock = FileLock(str(path), timeout=0)
    try:
        lock.acquire()
    except Timeout as exc:
        raise IndexLockedError(
            f"index is locked: another ingestion is running (lock file {path})"
        ) from exc
    except OSError as exc:  # the lock file cannot be created or opened for writing
        raise StorageError(f"the lock file {path} cannot be written: {exc}") from exc
    try:
        yield
    finally:
        lock.release()


@contextmanager
def ingest_lock(corpus: Corpus) -> Iterator[None]:
    """One writer at a time: embedded Chroma and the manifest must not see two.

    Writers of this process wait their turn (at most the request timeout, by which time
    an API client has had its 504); a writer in another process fails at once.
    """
    path = corpus.settings.lock_path
    wait_s = corpus.settings.request_timeout_s
    queue = _writer_queue(path)
    if not queue.acquire(timeout=wait_s):
        raise IndexLockedError(f"index is locked: writes in this process queued over {wait_s:g}s")
    try:
        with _file_lock(path):
            yield
    finally:
        queue.release()


def _embedding_input(chunk: Chunk) -> str:
    # A chunk from deep inside an article loses its subject; its headline restores it.
    if chunk.title and not chunk.text.startswith(chunk.title):
        return f"{chunk.title}\n{chunk.text}"
    return chunk.text


@dataclass
class _Loaded:
    """What one run read from its paths, and what `--prune` compares the manifest with."""

    articles: list[Article] = field(default_factory=list)
    roots: dict[str, str] = field(default_factory=dict)
    """source -> the folder its file was read from (a file named alone: its folder)."""
    present: dict[str, set[str]] = field(default_factory=dict)
    """folder named -> the sources read from it and the files in it that could not be read."""


def _load_all(
    paths: Sequence[Path], corpus: Corpus, report: IngestReport, progress: Progress
) -> _Loaded:
    max_bytes = int(corpus.settings.max_file_mb * 1024 * 1024)
    loaded = _Loaded(present={str(p.resolve()): set() for p in paths if p.is_dir()})
    files = [
        (item, str(path.resolve() if path.is_dir() else path.resolve().parent))
        for path in paths
        for item in iter_files(path, report.skipped)
    ]
    report.files_total += len(files)
    for (path, source), root in tqdm(files, desc="files", unit="file", disable=None):
        report.files_seen += 1
        present = loaded.present.get(root, set())
        try:
            read = load_file(path, source, max_bytes)
        except LoaderError as exc:
            report.skipped.append(str(exc))
            present.add(source)  # unreadable now is not gone: its document stays
            continue
        finally:
            progress(report)
        report.skipped.extend(read.warnings)
        loaded.articles.extend(read.articles)
        for article in read.articles:
            loaded.roots[article.source] = root
            present.add(article.source)
    return loaded


def _write_batch(
    corpus: Corpus,
    batch: list[Article],
    report: IngestReport,
    bar: tqdm,
    progress: Progress,
    *,
    roots: Mapping[str, str],
) -> None:
    settings = corpus.settings
    planned = [(a, chunk_article(a, settings.chunk_size, settings.chunk_overlap)) for a in batch]
    chunks = [c for _, doc_chunks in planned for c in doc_chunks]
    present = corpus.store.existing([c.chunk_id for c in chunks])
    missing = [c for c in chunks if c.chunk_id not in present]
    for i in range(0, len(missing), settings.embed_batch):
        part = missing[i : i + settings.embed_batch]
        vectors = corpus.embedder.embed_passages([_embedding_input(c) for c in part])
        corpus.store.add(part, vectors)
        report.chunks_embedded += len(part)
        bar.update(len(part))
        progress(report)
    old_ids = corpus.manifest.chunk_ids(a.doc_id for a in batch)
    corpus.manifest.commit(planned, roots)
    new_ids = {c.chunk_id for c in chunks}
    corpus.store.delete(sorted(old_ids - new_ids))
    report.chunks_added += len(new_ids - old_ids)
    report.chunks_removed += len(old_ids - new_ids)


def _sweep_orphans(corpus: Corpus) -> None:
    """Drop vectors no committed document names (left by an interrupted run)."""
    orphans = corpus.store.all_ids() - corpus.manifest.chunk_ids()
    corpus.store.delete(sorted(orphans))


def _date_vectors(corpus: Corpus) -> None:
    """Once per collection written before dates were data: read its dates again (they were
    kept as the source wrote them) and give its vectors their published_ts, so Chroma can
    filter them. Until then retrieval filters them through the manifest."""
    if corpus.manifest.chroma_dated():
        return
    corpus.manifest.redate(normalise_published)
    corpus.store.set_published(corpus.manifest.published_by_chunk())
    corpus.manifest.mark_chroma_dated()


def _dated(article: Article) -> Article:
    """The article with its publication date in ISO 8601 (None if none can be read)."""
    iso = normalise_published(article.published)
    return article if iso == article.published else article.model_copy(update={"published": iso})


def ingest_articles(
    corpus: Corpus,
    articles: Sequence[Article],
    report: IngestReport,
    progress: Progress = _no_progress,
    roots: Mapping[str, str] | None = None,
) -> None:
    """Store the new or changed articles; unchanged ones cost one hash comparison.

    ``roots`` maps a source to the folder it was read from (what `--prune` looks at)."""
    _date_vectors(corpus)
    if roots:
        corpus.manifest.adopt(roots)  # unchanged documents too: `--prune` must see them
    known = corpus.manifest.hashes()
    todo: list[Article] = []
    for article in articles:
        previous = known.get(article.source)
        if previous == article.sha256:
            report.documents_unchanged += 1
            continue
        todo.append(_dated(article))
        if previous is None:
            report.documents_added += 1
        else:
            report.documents_changed += 1
    if todo:
        with tqdm(desc="chunks embedded", unit="chunk", disable=None) as bar:
            step = corpus.settings.ingest_commit_docs
            for i in range(0, len(todo), step):
                _write_batch(corpus, todo[i : i + step], report, bar, progress, roots=roots or {})
    # Also when nothing changed: a run that committed and then died (or found the disk
    # full) before saving BM25 left it stale, and every reader would rebuild it.
    if saved_generation(corpus.settings.lexical_dir) != corpus.manifest.generation():
        corpus.build_lexical().save(corpus.settings.lexical_dir)


def _remove(corpus: Corpus, doc_ids: Sequence[str], report: IngestReport) -> None:
    """Retire documents in one manifest commit, then drop their vectors (a crash between
    leaves orphans the next run sweeps). The caller saves BM25 after."""
    chunk_ids = corpus.manifest.chunk_ids(doc_ids)
    corpus.manifest.delete(doc_ids)
    corpus.store.delete(sorted(chunk_ids))
    report.documents_removed += len(doc_ids)
    report.chunks_removed += len(chunk_ids)


def _prune(corpus: Corpus, loaded: _Loaded, report: IngestReport) -> None:
    """Remove the documents read from a folder named in this run whose files are gone
    from it (a line gone from a .jsonl file too); other folders' and uploads' stay."""
    gone = [
        doc_id
        for root, present in loaded.present.items()
        for source, doc_id in corpus.manifest.sources_under(root).items()
        if source not in present and source.rpartition("#")[0] not in present
    ]
    if gone:
        _remove(corpus, gone, report)


def ingest_paths(
    corpus: Corpus,
    paths: Sequence[Path],
    progress: Progress = _no_progress,
    *,
    prune: bool = False,
) -> IngestReport:
    """Ingest files and folders; unreadable files are reported in ``skipped``. With
    ``prune``, documents read from one of these folders before whose file is gone are
    removed in the same run (a missing folder is an error, never "everything is gone")."""
    started = time.perf_counter()
    report = IngestReport()
    with ingest_lock(corpus):
        _sweep_orphans(corpus)
        loaded = _load_all(paths, corpus, report, progress)
        if prune:
            _prune(corpus, loaded, report)
        ingest_articles(corpus, loaded.articles, report, progress, loaded.roots)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def upload_source(filename: str) -> str:
    """The source name of an uploaded file: its last path component, for a client's
    "../../etc/passwd.txt" or "C:\\Users\\me\\a.txt" alike, without control characters.

    Nothing is written under this name, but it is what the document is listed, cited
    and deleted by, so it must not pose as a path elsewhere."""
    name = PureWindowsPath(filename).name  # splits on "/" and on backslashes
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name if name not in ("", ".", "..") else "upload"


def ingest_upload(corpus: Corpus, data: bytes, filename: str) -> tuple[IngestReport, LoadedFile]:
    """Ingest one uploaded file (the API and the chat page use this)."""
    started = time.perf_counter()
    report = IngestReport(files_seen=1, files_total=1)
    max_bytes = int(corpus.settings.max_file_mb * 1024 * 1024)
    loaded = load_bytes(data, upload_source(filename), max_bytes)
    report.skipped.extend(loaded.warnings)
    with ingest_lock(corpus):
        ingest_articles(corpus, loaded.articles, report)
    report.seconds = round(time.perf_counter() - started, 3)
    return report, loaded


def delete_documents(corpus: Corpus, keys: Sequence[str]) -> IngestReport:
    """Remove documents (by id or source path) and every chunk of theirs."""
    report = IngestReport()
    with ingest_lock(corpus):
        doc_ids = []
        for key in keys:
            doc_id = corpus.manifest.find_document(key)
            if doc_id is None:
                raise NotFoundError(f"no document with id or source '{key}'")
            doc_ids.append(doc_id)
        _remove(corpus, doc_ids, report)
        corpus.build_lexical().save(corpus.settings.lexical_dir)
    return report
