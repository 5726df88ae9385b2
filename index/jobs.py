"""Ingestion jobs, persisted in one SQLite file beside the collection's manifest.

A job outlives the request that started it and the client that polls it; it does not
outlive its process: a job whose process is gone is marked failed (`fail_orphans`). Which
process owns a job is a lock file the owner holds (`JobOwner`): the kernel releases it
when the process dies, however it dies, and a PID could be reused by another process.
A finished job (done or failed) never changes again, so a late write of a job already
marked failed cannot bring it back.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, Field

from rag.adapters.sqlite_file import open_shared
from rag.errors import NotFoundError, StorageError
from rag.types import IngestReport

JobKind = Literal["files", "url", "feed"]
JobStatus = Literal["queued", "running", "done", "failed"]
UNFINISHED: tuple[JobStatus, ...] = ("queued", "running")
# Finished jobs kept for `recent`; older ones are dropped as new ones are created.
KEEP_FINISHED = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, owner TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, inputs TEXT NOT NULL,
    files_done INTEGER NOT NULL DEFAULT 0, files_total INTEGER NOT NULL DEFAULT 0,
    chunks_embedded INTEGER NOT NULL DEFAULT 0, skipped TEXT NOT NULL DEFAULT '[]',
    report TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_at);
"""
_COLUMNS = (
    "id, kind, status, created_at, updated_at, inputs, files_done, files_total, "
    "chunks_embedded, skipped, report, error"
)


class JobInfo(BaseModel):
    """One ingestion job as the API and the chat page show it."""

    id: str = Field(description="The job's id (32 hex digits).")
    kind: JobKind = Field(description="files: an upload of files; url: one web page; feed.")
    status: JobStatus
    created_at: str = Field(description="ISO 8601, UTC.")
    updated_at: str = Field(description="ISO 8601, UTC: the last progress or status change.")
    inputs: list[str] = Field(description="The uploaded file names, or the URL.")
    files_done: int = Field(description="Files (or feed entries) read so far.")
    files_total: int = Field(description="Files (or feed entries) to read; 0 until known.")
    chunks_embedded: int = Field(description="Chunks embedded so far.")
    skipped: list[str] = Field(description="'name: reason' per file or entry not ingested.")
    report: IngestReport | None = Field(description="The final report, once the job is done.")
    error: str | None = Field(description="Why the job failed.")

    @property
    def finished(self) -> bool:
        return self.status not in UNFINISHED


def new_job_id() -> str:
    return uuid.uuid4().hex


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _job(row: Sequence[object]) -> JobInfo:
    keys = _COLUMNS.split(", ")
    values = dict(zip(keys, row, strict=True))
    for key in ("inputs", "skipped"):
        values[key] = json.loads(str(values[key]))
    report = values["report"]
    values["report"] = IngestReport.model_validate_json(str(report)) if report else None
    return JobInfo.model_validate(values)


class JobOwner:
    """This process's claim on the jobs it runs: a lock file held until `release`."""

    def __init__(self, folder: Path) -> None:
        self.token = uuid.uuid4().hex
        self._lock = FileLock(str(folder / f"{self.token}.lock"), timeout=0)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._lock.acquire()
        except OSError as exc:
            raise StorageError(f"the job folder {folder} cannot be written: {exc}") from exc

    def release(self) -> None:
        self._lock.release()
        Path(self._lock.lock_file).unlink(missing_ok=True)


def _owner_gone(folder: Path, token: str) -> bool:
    """Whether the process that held ``token`` has ended (its lock file is free)."""
    lock = FileLock(str(folder / f"{token}.lock"), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return False
    lock.release()
    Path(lock.lock_file).unlink(missing_ok=True)
    return True


class JobStore:
    """Thread-safe; several processes may share the file (WAL, busy timeout)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.owners_dir = path.parent / "job-owners"
        self._db = open_shared(path, _SCHEMA, "the job store")
        self._lock = threading.Lock()

    @contextmanager
    def _db_call(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.OperationalError as exc:  # read-only, disk full, I/O error
                raise StorageError(f"the job store {self._path} cannot be used: {exc}") from exc

    def create(
        self,
        job_id: str,
        kind: JobKind,
        inputs: Sequence[str],
        owner: JobOwner,
        files_total: int = 0,
    ) -> JobInfo:
        """A queued job owned by ``owner``; ``job_id`` is a fresh ``new_job_id()``."""
        now = _now()
        with self._db_call() as db:
            db.execute(
                "INSERT INTO jobs (id, kind, status, owner, created_at, updated_at, inputs, "
                "files_total) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)",
                (job_id, kind, owner.token, now, now, json.dumps(list(inputs)), files_total),
            )
            self._prune(db)
        return self.get(job_id)

    def _prune(self, db: sqlite3.Connection) -> None:
        db.execute(
            "DELETE FROM jobs WHERE status IN ('done', 'failed') AND id NOT IN "
            "(SELECT id FROM jobs WHERE status IN ('done', 'failed') "
            "ORDER BY created_at DESC, rowid DESC LIMIT ?)",
            (KEEP_FINISHED,),
        )

    def get(self, job_id: str) -> JobInfo:
        with self._db_call() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no job with id '{job_id}'")
        return _job(row)

    def recent(self, limit: int) -> list[JobInfo]:
        """The newest jobs first."""
        with self._db_call() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_job(row) for row in rows]

    def _update(self, job_id: str, sets: str, args: Sequence[object], allowed: str) -> bool:
        """Apply ``sets`` if the job's status is in ``allowed``; whether it applied."""
        with self._db_call() as db:
            cursor = db.execute(
                f"UPDATE jobs SET {sets}, updated_at = ? WHERE id = ? AND status IN ({allowed})",
                (*args, _now(), job_id),
            )
        return cursor.rowcount == 1

    def start(self, job_id: str) -> bool:
        return self._update(job_id, "status = 'running'", (), "'queued'")

    def progress(self, job_id: str, report: IngestReport) -> bool:
        sets = "files_done = ?, files_total = ?, chunks_embedded = ?, skipped = ?"
        return self._update(job_id, sets, _counts(report), "'running'")

    def finish(self, job_id: str, report: IngestReport) -> bool:
        sets = "status = 'done', files_done = ?, files_total = ?, chunks_embedded = ?, "
        sets += "skipped = ?, report = ?"
        args = (*_counts(report), report.model_dump_json())
        return self._update(job_id, sets, args, "'running'")

    def fail(self, job_id: str, message: str) -> bool:
        return self._update(
            job_id, "status = 'failed', error = ?", (message,), "'queued', 'running'"
        )

    def fail_owned(self, owner: JobOwner, message: str) -> list[str]:
        """Mark the unfinished jobs of ``owner`` failed (it is shutting down); their ids."""
        return self._fail_where("owner = ?", (owner.token,), message)

    def fail_orphans(self, message: str) -> list[str]:
        """Mark failed every unfinished job whose process has ended; their ids."""
        with self._db_call() as db:
            owners = [
                str(row[0])
                for row in db.execute(
                    "SELECT DISTINCT owner FROM jobs WHERE status IN ('queued', 'running')"
                ).fetchall()
            ]
        failed: list[str] = []
        for token in owners:
            if _owner_gone(self.owners_dir, token):
                failed += self._fail_where("owner = ?", (token,), message)
        return failed

    def _fail_where(self, where: str, args: Sequence[object], message: str) -> list[str]:
        with self._db_call() as db:
            rows = db.execute(
                f"UPDATE jobs SET status = 'failed', error = ?, updated_at = ? "
                f"WHERE {where} AND status IN ('queued', 'running') RETURNING id",
                (message, _now(), *args),
            ).fetchall()
        return [str(row[0]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _counts(report: IngestReport) -> tuple[int, int, int, str]:
    skipped = json.dumps(report.skipped)
    return report.files_seen, report.files_total, report.chunks_embedded, skipped
