"""Writers sharing one process queue; a writer in another process still gets "index locked".

`rag serve` is one process whose upload and delete handlers run in threads, so
concurrent uploads meet here, in `ingest_lock`, and must wait for each other, not fail.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from index.ingest import delete_documents, ingest_lock, ingest_upload
from rag.adapters.embedders import Embedder
from rag.errors import IndexLockedError
from rag.retrieval.corpus import Corpus
from rag.settings import Settings

pytestmark = pytest.mark.integration

WRITERS = 6
_HOLD = """
import sys
from filelock import FileLock
lock = FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def _article(n: int) -> bytes:
    return f"Harbour news {n}\n\nThe Quillon{n} ferry carried {100 + n} passengers.\n".encode()


@pytest.fixture
def corpus(settings: Settings, embedder: Embedder) -> Iterator[Corpus]:
    opened = Corpus(settings, embedder)
    yield opened
    opened.close()


@pytest.fixture
def other_process_holds_the_lock(settings: Settings) -> Iterator[None]:
    settings.lock_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(settings.lock_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    yield
    holder.communicate(timeout=30)


def test_concurrent_uploads_in_one_process_all_land(corpus: Corpus) -> None:
    start = threading.Barrier(WRITERS)

    def upload(n: int) -> int:
        start.wait()
        report, _ = ingest_upload(corpus, _article(n), f"harbour-{n}.txt")
        return report.documents_added

    with ThreadPoolExecutor(WRITERS) as pool:
        added = list(pool.map(upload, range(WRITERS)))
    assert added == [1] * WRITERS
    sources = {doc.source for doc in corpus.manifest.documents()}
    assert sources == {f"harbour-{n}.txt" for n in range(WRITERS)}


def test_concurrent_uploads_and_deletes_leave_exactly_the_kept_documents(corpus: Corpus) -> None:
    for n in range(WRITERS):
        ingest_upload(corpus, _article(n), f"old-{n}.txt")
    start = threading.Barrier(2 * WRITERS)

    def write(n: int) -> None:
        start.wait()
        if n < WRITERS:
            delete_documents(corpus, [f"old-{n}.txt"])
        else:
            ingest_upload(corpus, _article(n), f"new-{n}.txt")

    with ThreadPoolExecutor(2 * WRITERS) as pool:
        list(pool.map(write, range(2 * WRITERS)))
    sources = {doc.source for doc in corpus.manifest.documents()}
    assert sources == {f"new-{n}.txt" for n in range(WRITERS, 2 * WRITERS)}
    assert corpus.store.all_ids() == corpus.manifest.chunk_ids()


@pytest.mark.usefixtures("other_process_holds_the_lock")
def test_a_writer_in_another_process_still_makes_uploads_fail_at_once(corpus: Corpus) -> None:
    with pytest.raises(IndexLockedError, match="another ingestion is running"):
        ingest_upload(corpus, _article(1), "blocked.txt")
    assert corpus.manifest.documents() == []


def test_a_queued_writer_gives_up_after_the_request_timeout(
    settings: Settings, embedder: Embedder, tmp_path: Path
) -> None:
    # The wait is bounded, so an upload whose client had its 504 does not run much later.
    impatient = Corpus(settings.model_copy(update={"request_timeout_s": 0.2}), embedder)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with ingest_lock(impatient):
            entered.set()
            release.wait(timeout=60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(timeout=60)
        with pytest.raises(IndexLockedError, match="in this process queued over"):
            ingest_upload(impatient, _article(2), "late.txt")
    finally:
        release.set()
        holder.join(timeout=60)
    assert impatient.manifest.documents() == []
    impatient.close()
