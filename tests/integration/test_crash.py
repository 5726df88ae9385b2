"""Ingestion killed with SIGKILL mid-run: the old index stays usable and a re-run converges."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.ingest import ingest_paths
from rag.adapters.embedders import Embedder
from rag.retrieval.bm25 import LexicalIndex
from rag.retrieval.corpus import Corpus
from rag.retrieval.hybrid import HybridRetriever
from rag.settings import Settings
from tests.ingest_faults import synthetic_folder

pytestmark = pytest.mark.integration

# Fixed, so a failing kill point can be replayed; change it to explore other points.
KILL_SEED = 20260611
KILLS = 3
DOCS, COMMIT_DOCS = 24, 2  # twelve commits: room for every kill to land mid-run


def _generation(manifest: Path) -> int:
    try:
        with sqlite3.connect(manifest, timeout=1) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def _ingest_and_kill(settings: Settings, folder: Path, commits: int, then_s: float) -> int:
    """Kill `rag ingest` ``then_s`` after its ``commits``-th manifest commit of this run.

    The extra delay moves the kill off the commit boundary to anywhere in the next batch:
    embedding, the Chroma write, the commit itself, the removal of replaced vectors.
    """
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_INGEST_COMMIT_DOCS": str(COMMIT_DOCS),
        "RAG_EMBED_BATCH": "4",
    }
    target = _generation(settings.manifest_path) + commits
    rag = Path(sys.executable).with_name("rag")
    proc = subprocess.Popen(
        [str(rag), "ingest", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while _generation(settings.manifest_path) < target and proc.poll() is None:
        assert time.monotonic() < deadline, "ingestion made no progress"
        time.sleep(0.02)
    time.sleep(then_s)
    proc.send_signal(signal.SIGKILL)
    return proc.wait()


def _assert_old_state_answers(settings: Settings, embedder: Embedder, sample_dir: Path) -> None:
    reopened = Corpus(settings, embedder)
    assert {d.source for d in reopened.manifest.documents()} >= {
        p.name for p in sample_dir.glob("*.txt")
    }
    hits = HybridRetriever(reopened).retrieve("Who exchanged the ratification documents?", 3)
    assert any("Rudenko" in h.chunk.text for h in hits)
    # Retrieval serves the committed manifest only: no vector or BM25 entry of a batch
    # the kill cut short.
    assert reopened.manifest.chunk_ids() <= reopened.store.all_ids()
    assert set(reopened.lexical().ids) == reopened.manifest.chunk_ids()


def test_killed_ingestion_keeps_old_state_and_converges(
    settings: Settings, embedder: Embedder, sample_dir: Path, tmp_path: Path
) -> None:
    folder = synthetic_folder(sample_dir, tmp_path / "wire", n=DOCS)
    ingest_paths(Corpus(settings, embedder), [sample_dir])
    rng = random.Random(KILL_SEED)
    for _ in range(KILLS):
        commits, then_s = rng.randint(1, 2), rng.uniform(0.0, 0.5)
        code = _ingest_and_kill(settings, folder, commits, then_s)
        assert code == -signal.SIGKILL, "ingestion finished before it could be killed"
        _assert_old_state_answers(settings, embedder, sample_dir)

    final = ingest_paths(Corpus(settings, embedder), [folder])
    assert final.documents_added + final.documents_unchanged == DOCS
    clean = Corpus(settings.model_copy(update={"data_dir": tmp_path / "clean"}), embedder)
    ingest_paths(clean, [sample_dir])
    ingest_paths(clean, [folder])
    recovered = Corpus(settings, embedder)
    assert recovered.store.all_ids() == recovered.manifest.chunk_ids()
    assert recovered.manifest.chunk_ids() == clean.manifest.chunk_ids()
    assert recovered.store.count() == clean.store.count()
    assert sorted(recovered.lexical().ids) == sorted(clean.lexical().ids)
    saved = LexicalIndex.load(settings.lexical_dir)
    assert saved is not None and sorted(saved.ids) == sorted(clean.lexical().ids)
