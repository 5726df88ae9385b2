"""The job runner over a real corpus (embedded Chroma, the bundled embedder): files jobs
land under their upload names, progress is visible while a job runs, failures are
recorded without stopping the worker, a locked index is waited for."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import pytest
from filelock import FileLock

from index import job_runner
from index.job_runner import STOPPED, JobRunner
from index.jobs import JobInfo
from rag.adapters.embedders import Embedder
from rag.errors import InputError
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from rag.types import IngestReport

pytestmark = pytest.mark.integration

FILES = {
    "kaunas.txt": "Lantern festival\n\nThe Zephyr Lantern Festival in Kaunas drew 41,000.\n",
    "tartu.md": "# Glass works\n\nThe Orrery Glass Works in Tartu employs 312 glassblowers.\n",
    "aldane.html": "<html><head><title>Harbour</title></head><body><p>The Port Aldane "
    "lighthouse was repainted cobalt blue.</p></body></html>",
}


@pytest.fixture
def corpus(settings: Settings, embedder: Embedder) -> Iterator[Corpus]:
    opened = Corpus(settings.model_copy(update={"max_upload_files": 5}), embedder)
    yield opened
    opened.close()


@pytest.fixture
def runner(corpus: Corpus) -> Iterator[JobRunner]:
    opened = JobRunner(corpus)
    yield opened
    opened.close()


def wait_finished(runner: JobRunner, job_id: str, timeout_s: float = 120.0) -> JobInfo:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = runner.get(job_id)
        if job.finished:
            return job
        time.sleep(0.1)
    raise TimeoutError(f"job {job_id} still {runner.get(job_id).status} after {timeout_s}s")


def _uploads(files: dict[str, str | bytes]) -> list[tuple[str, io.BytesIO]]:
    return [
        (name, io.BytesIO(text.encode() if isinstance(text, str) else text))
        for name, text in files.items()
    ]


def test_files_job_ingests_under_upload_names_and_skips_a_bad_file(
    runner: JobRunner, corpus: Corpus
) -> None:
    job = runner.submit_files(_uploads({**FILES, "../notes/empty.txt": b""}))
    assert (job.kind, job.status, job.files_total) == ("files", "queued", 4)
    assert job.inputs == [*FILES, "empty.txt"]
    done = wait_finished(runner, job.id)
    assert done.status == "done", done.error
    assert (done.files_done, done.files_total) == (4, 4)
    assert done.report is not None and done.report.documents_added == 3
    assert done.chunks_embedded == done.report.chunks_embedded > 0
    assert len(done.skipped) == 1 and done.skipped[0].startswith("empty.txt: ")
    assert {d.source for d in corpus.manifest.documents()} == set(FILES)
    assert list((corpus.settings.data_dir / "uploads").iterdir()) == []  # copies removed
    again = wait_finished(runner, runner.submit_files(_uploads(FILES)).id)
    assert again.report is not None and again.report.documents_unchanged == 3
    assert again.chunks_embedded == 0


def test_progress_is_visible_while_the_job_runs(runner: JobRunner) -> None:
    release = threading.Event()

    def task(progress: job_runner.Progress) -> IngestReport:
        report = IngestReport(files_total=2)
        report.files_seen = 1
        report.chunks_embedded = 7
        progress(report)
        release.wait(30)
        report.files_seen = 2
        return report

    job = runner.submit("files", ["a.txt", "b.txt"], task)
    deadline = time.monotonic() + 30
    while (seen := runner.get(job.id)).files_done == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (seen.status, seen.files_done, seen.files_total, seen.chunks_embedded) == (
        "running",
        1,
        2,
        7,
    )
    release.set()
    done = wait_finished(runner, job.id)
    assert (done.status, done.files_done) == ("done", 2)


def test_failures_are_recorded_and_the_worker_goes_on(runner: JobRunner) -> None:
    def refused(_progress: job_runner.Progress) -> IngestReport:
        raise InputError("the feed has no entries")

    def broken(_progress: job_runner.Progress) -> IngestReport:
        raise RuntimeError("boom")

    first = runner.submit("feed", ["http://127.0.0.1/feed"], refused)
    second = runner.submit("url", ["http://127.0.0.1/a"], broken)
    third = runner.submit_files(_uploads({"kaunas.txt": FILES["kaunas.txt"]}))
    assert wait_finished(runner, first.id).error == "the feed has no entries"
    error = wait_finished(runner, second.id).error or ""
    assert error.startswith("internal error (RuntimeError: boom)")
    assert wait_finished(runner, third.id).status == "done"


def test_a_locked_index_is_waited_for(
    runner: JobRunner, corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer (here: a lock held outside the runner) delays the job, not fails it."""
    monkeypatch.setattr(job_runner, "LOCKED_RETRY_S", 0.2)
    other_writer = FileLock(str(corpus.settings.lock_path))
    corpus.settings.lock_path.parent.mkdir(parents=True, exist_ok=True)
    with other_writer:
        job = runner.submit_files(_uploads({"tartu.md": FILES["tartu.md"]}))
        time.sleep(1.0)
        assert runner.get(job.id).status == "running"
    done = wait_finished(runner, job.id)
    assert done.status == "done" and done.report is not None
    assert done.report.documents_added == 1


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["a.txt", "dir/a.txt"], "two files named 'a.txt'"),
        ([f"{n}.txt" for n in range(6)], "6 files in one upload; at most 5"),
        (["x" * 300 + ".txt"], "longer than 255 bytes"),
        ([], "no file was uploaded"),
    ],
)
def test_uploads_that_cannot_be_stored_are_refused(
    runner: JobRunner, corpus: Corpus, names: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        runner.submit_files([(name, io.BytesIO(b"Some text.\n")) for name in names])
    assert runner.recent(10) == []
    uploads = corpus.settings.data_dir / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_closing_fails_unfinished_jobs_and_a_new_runner_sees_them(
    corpus: Corpus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(job_runner, "STOP_WAIT_S", 0.5)
    runner = JobRunner(corpus)
    release = threading.Event()

    def blocked(_progress: job_runner.Progress) -> IngestReport:
        release.wait(30)
        return IngestReport()

    running = runner.submit("url", ["http://127.0.0.1/slow"], blocked)
    queued = runner.submit_files(_uploads({"kaunas.txt": FILES["kaunas.txt"]}))
    while runner.get(running.id).status != "running":
        time.sleep(0.05)
    runner.close()  # the task is still running: close does not wait for it
    release.set()  # and what it returns now is dropped
    reopened = JobRunner(corpus)
    try:
        folder = corpus.settings.data_dir / "uploads" / queued.id
        deadline = time.monotonic() + 30
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not folder.exists()
        for job_id in (running.id, queued.id):
            job = reopened.get(job_id)
            assert (job.status, job.error, job.report) == ("failed", STOPPED, None)
        assert corpus.manifest.documents() == []
    finally:
        reopened.close()
