"""The job store: status transitions, persistence, and failing the jobs of a dead process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from index import jobs
from index.jobs import JobOwner, JobStore, new_job_id
from rag.errors import NotFoundError
from rag.types import IngestReport

pytestmark = pytest.mark.unit


@pytest.fixture
def store(tmp_path: Path) -> JobStore:
    return JobStore(tmp_path / "jobs.sqlite")


@pytest.fixture
def owner(store: JobStore) -> JobOwner:
    return JobOwner(store.owners_dir)


def _report(files: int, chunks: int, skipped: list[str] | None = None) -> IngestReport:
    return IngestReport(
        files_seen=files, files_total=3, chunks_embedded=chunks, skipped=skipped or []
    )


def test_a_job_goes_queued_running_done(store: JobStore, owner: JobOwner) -> None:
    job = store.create(new_job_id(), "files", ["a.txt", "b.md", "c.html"], owner, files_total=3)
    assert (job.status, job.files_total, job.inputs) == ("queued", 3, ["a.txt", "b.md", "c.html"])
    assert not store.progress(job.id, _report(1, 4))  # not running yet: ignored
    assert store.start(job.id)
    assert not store.start(job.id)
    assert store.progress(job.id, _report(2, 9, ["b.md: empty file"]))
    running = store.get(job.id)
    assert (running.status, running.files_done, running.chunks_embedded) == ("running", 2, 9)
    assert running.skipped == ["b.md: empty file"] and running.report is None
    assert running.updated_at >= running.created_at
    final = _report(3, 12, ["b.md: empty file"])
    assert store.finish(job.id, final)
    done = store.get(job.id)
    assert (done.status, done.files_done, done.report, done.error) == ("done", 3, final, None)
    assert done.finished


def test_finished_jobs_never_change(store: JobStore, owner: JobOwner) -> None:
    job = store.create(new_job_id(), "url", ["http://127.0.0.1/a"], owner)
    assert store.start(job.id) and store.finish(job.id, _report(1, 2))
    assert not store.fail(job.id, "late failure")
    assert not store.progress(job.id, _report(0, 0))
    assert store.get(job.id).status == "done"
    other = store.create(new_job_id(), "feed", ["http://127.0.0.1/feed"], owner)
    assert store.fail(other.id, "the feed is empty")
    assert not store.start(other.id)
    assert not store.finish(other.id, _report(1, 1))
    failed = store.get(other.id)
    assert (failed.status, failed.error, failed.report) == ("failed", "the feed is empty", None)


def test_unknown_job_is_not_found(store: JobStore) -> None:
    with pytest.raises(NotFoundError, match="no job with id 'f00'"):
        store.get("f00")


def test_recent_lists_newest_first_and_survives_reopening(
    store: JobStore, owner: JobOwner, tmp_path: Path
) -> None:
    ids = [store.create(new_job_id(), "files", [f"{n}.txt"], owner).id for n in range(4)]
    assert [j.id for j in store.recent(3)] == ids[::-1][:3]
    store.close()
    reopened = JobStore(tmp_path / "jobs.sqlite")
    assert [j.id for j in reopened.recent(10)] == ids[::-1]


def test_old_finished_jobs_are_pruned(
    store: JobStore, owner: JobOwner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "KEEP_FINISHED", 2)
    unfinished = store.create(new_job_id(), "files", ["keep.txt"], owner).id
    finished = []
    for n in range(4):
        job_id = store.create(new_job_id(), "files", [f"{n}.txt"], owner).id
        store.fail(job_id, "bad")
        finished.append(job_id)
    store.create(new_job_id(), "files", ["last.txt"], owner)
    kept = {j.id for j in store.recent(100)}
    assert unfinished in kept and set(finished[-2:]) <= kept
    assert not set(finished[:2]) & kept


def test_jobs_of_a_released_owner_fail_and_a_live_owners_stay(
    store: JobStore, owner: JobOwner
) -> None:
    gone = JobOwner(store.owners_dir)
    queued = store.create(new_job_id(), "files", ["a.txt"], gone).id
    running = store.create(new_job_id(), "files", ["b.txt"], gone).id
    done = store.create(new_job_id(), "files", ["c.txt"], gone).id
    assert store.start(running) and store.start(done) and store.finish(done, _report(1, 1))
    alive = store.create(new_job_id(), "files", ["d.txt"], owner).id
    gone.release()
    assert sorted(store.fail_orphans("restarted")) == sorted([queued, running])
    assert {store.get(i).status for i in (queued, running)} == {"failed"}
    assert store.get(queued).error == "restarted"
    assert (store.get(done).status, store.get(alive).status) == ("done", "queued")
    assert store.fail_orphans("restarted") == []


def test_jobs_of_a_process_that_died_are_failed(store: JobStore, tmp_path: Path) -> None:
    """A real process claims a job, then exits without releasing anything (as a crash)."""
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from index.jobs import JobOwner, JobStore, new_job_id
        store = JobStore(Path({str(tmp_path / "jobs.sqlite")!r}))
        owner = JobOwner(store.owners_dir)
        job = store.create(new_job_id(), "files", ["a.txt"], owner)
        store.start(job.id)
        print(job.id, flush=True)
        os._exit(9)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60
    )
    job_id = result.stdout.strip()
    assert result.returncode == 9 and len(job_id) == 32, result.stderr
    assert store.get(job_id).status == "running"
    assert store.fail_orphans("the server restarted") == [job_id]
    assert store.get(job_id).error == "the server restarted"
    assert list(store.owners_dir.iterdir()) == []  # the dead owner's lock file is gone


def test_a_stopping_owner_fails_only_its_unfinished_jobs(store: JobStore, owner: JobOwner) -> None:
    other = JobOwner(store.owners_dir)
    mine = store.create(new_job_id(), "files", ["a.txt"], owner).id
    theirs = store.create(new_job_id(), "files", ["b.txt"], other).id
    assert store.fail_owned(owner, "stopped") == [mine]
    assert (store.get(mine).status, store.get(theirs).status) == ("failed", "queued")
