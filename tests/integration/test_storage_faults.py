"""Ingestion against a hostile data folder: two writers at once, read-only, disk full.

Each fault must end in a clear one-line error and an exit code, leave the previous index
answering exactly as before, and let a later run converge to what a clean ingest holds.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
import pytest
from filelock import FileLock, Timeout

from index.ingest import ingest_paths
from rag.adapters.chroma_store import VectorStore
from rag.adapters.embedders import Embedder
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from tests.api_server import copy_index, rag_env
from tests.ingest_faults import (
    RUN_TIMEOUT_S,
    IndexState,
    ask_json,
    assert_clear_error,
    assert_consistent,
    index_state,
    largest_file,
    rag_command,
    read_only,
    run_rag,
    small_tmpfs,
    synthetic_folder,
    used_bytes,
)

pytestmark = pytest.mark.integration

STORAGE_ERROR = 8
INDEX_LOCKED = 4
# Room left on the disk, or above the largest file: far less than the new folder needs.
HEADROOM_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def wire(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic_folder(sample_dir, tmp_path_factory.mktemp("wire") / "wire", n=12)


@dataclass(frozen=True)
class Baseline:
    """An ingested index to break, what it holds and answers, and where faults must lead."""

    template: Path
    new_folder: Path
    embedder: Embedder
    state: IndexState
    answer: dict[str, Any]
    clean: IndexState


@pytest.fixture(scope="module")
def baseline(
    index: Path,
    wire: Path,
    sample_dir: Path,
    embedder: Embedder,
    tmp_path_factory: pytest.TempPathFactory,
) -> Baseline:
    # Read from a copy, so that no open Chroma client ever touches the template.
    data = copy_index(index, tmp_path_factory.mktemp("storage-before") / "data")
    clean = tmp_path_factory.mktemp("storage-clean") / "data"  # what every fault converges to
    ingest_paths(Corpus(Settings(data_dir=clean, llm="extractive"), embedder), [sample_dir, wire])
    return Baseline(
        index,
        wire,
        embedder,
        state=index_state(data, embedder),
        answer=ask_json(data),
        clean=index_state(clean, embedder),
    )


def _assert_untouched_then_converges(data: Path, baseline: Baseline) -> None:
    after = index_state(data, baseline.embedder)
    assert_consistent(after)
    old = baseline.state
    assert (after.sources, after.manifest, after.served_bm25) == (
        old.sources,
        old.manifest,
        old.served_bm25,
    )
    assert ask_json(data) == baseline.answer
    _assert_a_rerun_converges(data, baseline)


def _assert_a_rerun_converges(data: Path, baseline: Baseline) -> None:
    done = run_rag(["ingest", str(baseline.new_folder)], data)
    assert done.returncode == 0, done.stderr
    converged = index_state(data, baseline.embedder)
    assert converged == baseline.clean, "a re-run did not end with a clean ingest's ids"
    assert converged.vectors == converged.manifest == converged.saved_bm25


def _start_writer(command: list[str], data: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        env=rag_env(data),
        cwd=data.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_ingest_processes_at_once_one_gets_index_locked(
    baseline: Baseline, sample_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    command = rag_command(["ingest", str(sample_dir), str(baseline.new_folder)])
    writers = [_start_writer(command, data) for _ in range(2)]
    try:
        outputs = [writer.communicate(timeout=RUN_TIMEOUT_S) for writer in writers]
    finally:
        for writer in writers:
            writer.kill()
            writer.wait(timeout=30)
    pairs = zip(writers, outputs, strict=True)
    results = sorted(
        (subprocess.CompletedProcess(command, w.returncode, *out) for w, out in pairs),
        key=lambda done: done.returncode,
    )
    assert [done.returncode for done in results] == [0, INDEX_LOCKED], results
    assert_clear_error(results[1], INDEX_LOCKED, "index is locked")
    assert index_state(data, baseline.embedder) == baseline.clean


def test_a_fresh_store_is_opened_by_one_process_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two processes migrating a fresh folder at once: the loser's "table collections
    # already exists" failed one of two concurrent ingests about once in fifty runs.
    settings = Settings(data_dir=tmp_path / "data")
    opened = chromadb.PersistentClient
    held: list[bool] = []

    def peer_finds_it_held(*args: Any, **kwargs: Any) -> Any:
        try:
            with FileLock(str(settings.chroma_dir / "open.lock"), timeout=0):
                held.append(False)
        except Timeout:
            held.append(True)
        return opened(*args, **kwargs)

    monkeypatch.setattr(chromadb, "PersistentClient", peer_finds_it_held)
    store = VectorStore(settings, "embedder", 3)
    assert store.all_ids() == set()
    assert held == [True]
    with FileLock(str(settings.chroma_dir / "open.lock"), timeout=0):
        pass  # released once open


@pytest.mark.parametrize("folder", [".", "collections/news/lexical"])
def test_read_only_data_folder_fails_clearly_and_serves_the_old_index(
    folder: str, baseline: Baseline, tmp_path: Path
) -> None:
    data = copy_index(baseline.template, tmp_path / "data")
    with read_only(data / folder):
        done = run_rag(["ingest", str(baseline.new_folder)], data, obey_modes=True)
    assert_clear_error(done, STORAGE_ERROR, str(data))
    if folder == ".":
        _assert_untouched_then_converges(data, baseline)
        return
    # BM25 is saved after the manifest commit: the new documents are live, and what
    # retrieval serves must match them although the saved index could not be replaced.
    after = index_state(data, baseline.embedder)
    assert_consistent(after)
    assert after.manifest == baseline.clean.manifest
    assert after.saved_bm25 == baseline.state.saved_bm25
    _assert_a_rerun_converges(data, baseline)


@contextmanager
def _full_disk(
    kind: str, index: Path, tmp_path: Path
) -> Iterator[tuple[Path, int, Callable[[], None]]]:
    """A copy of the index on a disk about to fill up: the copy, a cap on the size of
    any file `rag` writes (0: none), and a function that frees space."""
    if kind == "file-size-limit":  # writes fail with EFBIG, on any file system
        data = copy_index(index, tmp_path / "data")
        yield data, largest_file(data) + HEADROOM_BYTES, lambda: None
        return
    with small_tmpfs(tmp_path / "disk", used_bytes(index) + HEADROOM_BYTES) as resize:
        data = copy_index(index, tmp_path / "disk" / "data")  # writes fail with ENOSPC
        yield data, 0, lambda: resize(256 * 1024 * 1024)


@pytest.mark.parametrize("kind", ["no-space-left", "file-size-limit"])
def test_disk_full_fails_clearly_and_serves_the_old_index(
    kind: str, baseline: Baseline, tmp_path: Path
) -> None:
    with _full_disk(kind, baseline.template, tmp_path) as (data, file_size, free_space):
        done = run_rag(["ingest", str(baseline.new_folder)], data, file_size=file_size)
        assert_clear_error(done, STORAGE_ERROR, str(data))
        free_space()
        _assert_untouched_then_converges(data, baseline)
