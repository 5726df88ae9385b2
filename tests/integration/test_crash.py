"""Ingestion killed with SIGKILL mid-run: the old index stays usable and a re-run converges."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.ingest import ingest_paths
from rag.corpus import Corpus
from rag.embedders import Embedder
from rag.retrieval import HybridRetriever
from rag.settings import Settings

pytestmark = pytest.mark.integration


def _synthetic_folder(sample_dir: Path, folder: Path, n: int, seed: int = 7) -> None:
    """Articles made of the samples' sentences in other orders, each under its own headline."""
    sentences = [
        s
        for path in sorted(sample_dir.glob("*.txt"))
        for s in re.split(r"(?<=[.!?])\s+", path.read_text(encoding="utf-8"))
        if len(s) > 40
    ]
    rng = random.Random(seed)
    folder.mkdir()
    for i in range(n):
        body = " ".join(rng.sample(sentences, 8))
        (folder / f"wire-{i:03d}.txt").write_text(f"Wire story number {i}\n\n{body}\n", "utf-8")


def _generation(manifest: Path) -> int:
    try:
        with sqlite3.connect(manifest, timeout=1) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0]) if row else 0


def _ingest_and_kill(settings: Settings, folder: Path, after_generation: int) -> int:
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(settings.data_dir),
        "RAG_INGEST_COMMIT_DOCS": "3",
        "RAG_EMBED_BATCH": "4",
    }
    rag = Path(sys.executable).with_name("rag")
    proc = subprocess.Popen(
        [str(rag), "ingest", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while _generation(settings.manifest_path) < after_generation and proc.poll() is None:
        assert time.monotonic() < deadline, "ingestion made no progress"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    return proc.wait()


def test_killed_ingestion_keeps_old_state_and_converges(
    settings: Settings, embedder: Embedder, sample_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "wire"
    _synthetic_folder(sample_dir, folder, n=24)
    corpus = Corpus(settings, embedder)
    ingest_paths(corpus, [sample_dir])
    start = _generation(settings.manifest_path)

    for extra in (1, 3):  # kill after the first commit, then again later in a re-run
        code = _ingest_and_kill(settings, folder, start + extra)
        assert code == -signal.SIGKILL, "ingestion finished before it could be killed"
        reopened = Corpus(settings, embedder)
        assert {d.source for d in reopened.manifest.documents()} >= {
            p.name for p in sample_dir.glob("*.txt")
        }
        hits = HybridRetriever(reopened).retrieve("Who exchanged the ratification documents?", 3)
        assert any("Rudenko" in h.chunk.text for h in hits)
        assert reopened.manifest.chunk_ids() <= reopened.store.all_ids()

    final = ingest_paths(Corpus(settings, embedder), [folder])
    assert final.documents_added + final.documents_unchanged == 24
    clean_settings = settings.model_copy(update={"data_dir": tmp_path / "clean"})
    clean = Corpus(clean_settings, embedder)
    ingest_paths(clean, [sample_dir])
    ingest_paths(clean, [folder])
    recovered = Corpus(settings, embedder)
    assert recovered.store.all_ids() == recovered.manifest.chunk_ids()
    assert recovered.manifest.chunk_ids() == clean.manifest.chunk_ids()
    assert recovered.store.count() == clean.store.count()
    assert sorted(recovered.lexical().ids) == sorted(clean.lexical().ids)
