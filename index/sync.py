"""Folders kept in step with the index: `rag ingest --watch`.

Each burst of changes is one `ingest_paths(..., prune=True)` run, with its lock and crash
safety: changed and added files are ingested, the documents of deleted files removed.
The watcher starts before the first run, so nothing changed meanwhile is missed, and it
keeps collecting changes while a run is busy; those make the next run.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from rag.errors import RagError
from rag.retrieval.corpus import Corpus
from rag.types import IngestReport

from .ingest import ingest_paths

# watchfiles yields a burst once nothing changed for STEP_MS, or after DEBOUNCE_MS of
# changes: copying a folder in is one run, not one per file.
STEP_MS = 300
DEBOUNCE_MS = 2000
# How often the loop wakes without changes (the first run, a retry, a stop request).
_WAKE_MS = 500
# A run that failed (the index locked by another writer, a full disk) is retried after this.
RETRY_S = 5.0

OnRun = Callable[[IngestReport | RagError], None]


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM end the watch once the run under way is done (only the main
    thread may set handlers; another thread's caller stops it with ``stop``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def articles_filter(data_dir: Path) -> Callable[[object, str], bool]:
    """A watch filter: the index's own files (a data folder inside a watched one) are no
    change to the articles, and reacting to them would never end."""
    from watchfiles import DefaultFilter

    default, own = DefaultFilter(), data_dir.resolve()

    def wanted(change: object, path: str) -> bool:
        return default(change, path) and not Path(path).resolve().is_relative_to(own)  # type: ignore[arg-type]

    return wanted


def watch_paths(
    corpus: Corpus, paths: Sequence[Path], on_run: OnRun, stop: threading.Event | None = None
) -> None:
    """Ingest ``paths`` with pruning, then again after every burst of changes under them,
    until ``stop`` is set or the process gets SIGINT or SIGTERM. ``on_run`` gets each
    run's report, or the error that failed it (retried after `RETRY_S`)."""
    from watchfiles import watch

    stop = stop or threading.Event()
    pending, retry_at = True, 0.0
    with _stop_on_signals(stop):
        for changes in watch(
            *paths,
            watch_filter=articles_filter(corpus.settings.data_dir),
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=_WAKE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            pending = pending or bool(changes)
            if not pending or time.monotonic() < retry_at or stop.is_set():
                continue
            try:
                on_run(ingest_paths(corpus, paths, prune=True))
            except RagError as exc:
                retry_at = time.monotonic() + RETRY_S
                on_run(exc)
                continue
            pending = False
