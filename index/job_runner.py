"""The one background thread that runs ingestion jobs, in the order they came.

One thread is enough: ingestion is serialised by `index.ingest.ingest_lock` anyway, and
a job that waits its turn in this queue holds no request open. The job's state lives in
the `JobStore`, so any request (or another worker process) can poll it, and the work
goes on when the client that started it disconnects.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from rag.errors import IndexLockedError, InputError, RagError, StorageError
from rag.retrieval.corpus import Corpus
from rag.types import IngestReport

from .ingest import Progress, ingest_paths, upload_source
from .jobs import JobInfo, JobKind, JobOwner, JobStore, new_job_id
from .netguard import NetGuard
from .web import ingest_url

log = logging.getLogger("rag.jobs")

_RERUN = "re-run it: unchanged documents are skipped"
RESTARTED = f"the server restarted before the job finished; {_RERUN}"
STOPPED = f"the server stopped before the job finished; {_RERUN}"
# Progress writes are SQLite commits inside the index's write lock: at most two a second.
PROGRESS_INTERVAL_S = 0.5
# Another process's ingestion (a `rag ingest` of a big folder takes minutes) holds the
# index lock; a job waits for it this long, trying again every LOCKED_RETRY_S.
LOCKED_WAIT_S = 600.0
LOCKED_RETRY_S = 2.0
# How long shutdown waits for the worker to notice; a running ingestion is not awaited.
STOP_WAIT_S = 5.0
# Longest file name most file systems (ext4, APFS, NTFS) take.
MAX_NAME_BYTES = 255

Task = Callable[[Progress], IngestReport]
Upload = tuple[str, BinaryIO]


@dataclass(frozen=True)
class _Queued:
    job_id: str
    task: Task
    folder: Path | None  # the uploaded files, removed when the job ends


class _Throttled:
    """The job's progress callback: the report so far, written at most every interval."""

    def __init__(self, store: JobStore, job_id: str) -> None:
        self._store = store
        self._job_id = job_id
        self._last = float("-inf")

    def __call__(self, report: IngestReport) -> None:
        now = time.monotonic()
        if now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        try:
            self._store.progress(self._job_id, report)
        except StorageError as exc:  # progress is for show: the ingestion goes on
            log.warning("job %s: progress not recorded: %s", self._job_id, exc)


def upload_names(names: Sequence[str], max_files: int) -> list[str]:
    """The source names of one upload's files; InputError for what cannot be stored."""
    if not names:
        raise InputError("no file was uploaded")
    if len(names) > max_files:
        raise InputError(f"{len(names)} files in one upload; at most {max_files} are taken")
    sources = [upload_source(name) for name in names]
    for source in sources:
        if len(source.encode()) > MAX_NAME_BYTES:
            raise InputError(f"file name longer than {MAX_NAME_BYTES} bytes: {source[:80]}…")
        if sources.count(source) > 1:
            raise InputError(f"two files named '{source}' in one upload")
    return sources


class JobRunner:
    """Opened once per process with the app's corpus; `close` at shutdown."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        settings = corpus.settings
        self.store = JobStore(settings.collection_dir / "jobs.sqlite")
        self._owner = JobOwner(self.store.owners_dir)
        self._uploads = settings.data_dir / "uploads"
        # The index needs no repair (ingestion commits atomically per batch); the jobs
        # of a process that died only need saying so, and their files removing.
        self._remove_uploads(self.store.fail_orphans(RESTARTED))
        self._queue: queue.Queue[_Queued | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._work, name="ingest-jobs", daemon=True)
        self._thread.start()

    def submit(
        self,
        kind: JobKind,
        inputs: Sequence[str],
        task: Task,
        *,
        job_id: str | None = None,
        files_total: int = 0,
        folder: Path | None = None,
    ) -> JobInfo:
        """Queue ``task``; it runs after the jobs queued before it."""
        job = self.store.create(job_id or new_job_id(), kind, inputs, self._owner, files_total)
        self._queue.put(_Queued(job.id, task, folder))
        return job

    def submit_files(self, uploads: Sequence[Upload]) -> JobInfo:
        """Copy the uploaded files under the data folder, then queue their ingestion under
        their upload names (`index.ingest.upload_source`), as a single upload is named."""
        names = upload_names([name for name, _ in uploads], self.corpus.settings.max_upload_files)
        job_id = new_job_id()
        folder = self._uploads / job_id
        try:
            folder.mkdir(parents=True)
            for name, (_, stream) in zip(names, uploads, strict=True):
                with (folder / name).open("wb") as out:
                    shutil.copyfileobj(stream, out)
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise StorageError(f"the upload cannot be stored under {self._uploads}: {exc}") from exc
        paths = [folder / name for name in names]

        def task(progress: Progress) -> IngestReport:
            return ingest_paths(self.corpus, paths, progress)

        try:
            return self.submit(
                "files", names, task, job_id=job_id, files_total=len(names), folder=folder
            )
        except RagError:
            shutil.rmtree(folder, ignore_errors=True)  # no job will ever remove it
            raise

    def submit_url(self, url: str, *, feed: bool, allow_networks: Sequence[str] | None) -> JobInfo:
        """Queue the ingestion of a web page (or every entry of a feed). With
        ``allow_networks`` (`index.web.ingest_url`), the URL is checked first: a caller
        refused by the guard hears it now, not from a job that failed."""
        url = url.strip()
        if allow_networks is not None:
            NetGuard(allow_networks).check_url(url)

        def task(progress: Progress) -> IngestReport:
            return ingest_url(
                self.corpus, url, feed=feed, allow_networks=allow_networks, progress=progress
            )

        return self.submit("feed" if feed else "url", [url], task)

    def get(self, job_id: str) -> JobInfo:
        return self.store.get(job_id)

    def recent(self, limit: int) -> list[JobInfo]:
        return self.store.recent(limit)

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._run(item)
            except Exception as exc:  # the worker outlives any job
                self._record_failure(item.job_id, exc)
            finally:
                if item.folder is not None:
                    shutil.rmtree(item.folder, ignore_errors=True)

    def _run(self, item: _Queued) -> None:
        if not self.store.start(item.job_id):
            return  # failed while it waited (the server is stopping)
        progress = _Throttled(self.store, item.job_id)
        deadline = time.monotonic() + LOCKED_WAIT_S
        while True:
            try:
                report = item.task(progress)
                break
            except IndexLockedError:
                if time.monotonic() > deadline or self._stopping.wait(LOCKED_RETRY_S):
                    raise
        self.store.finish(item.job_id, report)

    def _record_failure(self, job_id: str, exc: Exception) -> None:
        if isinstance(exc, RagError):
            message = str(exc)
        else:
            log.exception("job %s failed", job_id, exc_info=exc)
            message = f"internal error ({type(exc).__name__}: {exc}); see the server log"
        try:
            self.store.fail(job_id, message)
        except RagError:
            log.exception("job %s failed (%s) and the job store cannot say so", job_id, message)

    def _remove_uploads(self, job_ids: Sequence[str]) -> None:
        for job_id in job_ids:
            shutil.rmtree(self._uploads / job_id, ignore_errors=True)

    def close(self) -> None:
        """Fail the unfinished jobs (a restart would anyway) and stop the worker."""
        self._stopping.set()
        self._queue.put(None)
        failed = self.store.fail_owned(self._owner, STOPPED)
        self._thread.join(timeout=STOP_WAIT_S)
        self._owner.release()
        if self._thread.is_alive():
            return  # still ingesting: it needs the store until the process ends
        self._remove_uploads(failed)
        self.store.close()
