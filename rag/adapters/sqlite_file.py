"""Opening the project's SQLite files (the manifest, the job store) the one way they need."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..errors import StorageError


def open_shared(path: Path, schema: str, what: str) -> sqlite3.Connection:
    """A connection for threads and processes sharing ``path``: autocommit (transactions
    are explicit), WAL so readers never wait for the one writer, and a busy timeout so a
    second process waits for a lock instead of failing. ``schema`` is idempotent DDL."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=10000")
        db.executescript(schema)
    except (sqlite3.Error, OSError) as exc:
        raise StorageError(f"cannot open {what} {path}: {exc}") from exc
    return db
