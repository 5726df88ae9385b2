"""Helpers for ingestion under faults: `rag` subprocesses in a hostile data folder, and
a snapshot of everything an index holds, to compare with a clean ingest.

Tests run as root, where file modes do not stop writes; `run_rag(..., obey_modes=True)`
drops the capabilities that let root ignore them, so a read-only folder is read-only.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rag.adapters.embedders import Embedder
from rag.retrieval.bm25 import LexicalIndex
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from tests.api_server import QUESTION, RAG, rag_env

RUN_TIMEOUT_S = 300.0
# Runs the command under limits the test asks for, set between fork and exec of rag
# itself (a preexec_fn is unsafe in a test process with threads).
_LIMITED = """
import ctypes, os, resource, sys
file_size, obey_modes, *command = sys.argv[1:]
if int(file_size):
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(file_size), int(file_size)))
if obey_modes == "1" and os.geteuid() == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0):  # PR_CAPBSET_DROP: gone after exec
            raise OSError(ctypes.get_errno(), "cannot drop capability", cap)
os.execv(command[0], command)
"""


def synthetic_folder(sample_dir: Path, folder: Path, n: int, seed: int = 7) -> Path:
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
    return folder


def rag_command(args: Sequence[str], file_size: int = 0, obey_modes: bool = False) -> list[str]:
    limits = [str(file_size), "1" if obey_modes else "0"]
    return [sys.executable, "-c", _LIMITED, *limits, RAG, *args]


def run_rag(
    args: Sequence[str], data_dir: Path, file_size: int = 0, obey_modes: bool = False
) -> subprocess.CompletedProcess[str]:
    """`rag ARGS` on ``data_dir``; ``file_size`` > 0 caps every file it writes (EFBIG)."""
    return subprocess.run(
        rag_command(args, file_size, obey_modes),
        env=rag_env(data_dir),
        cwd=data_dir.parent,  # not the data folder: it may be read-only or full
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )


def assert_clear_error(done: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    """Exit ``code`` and one line on stderr naming the problem; no traceback anywhere."""
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    assert "Traceback" not in output, output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert fragment in lines[0], lines[0]


def ask_json(data_dir: Path) -> dict[str, Any]:
    """The extractive answer `rag ask` gives from ``data_dir``, without its timings."""
    done = run_rag(["ask", QUESTION, "--json", "--generator", "extractive"], data_dir)
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    answer.pop("timings_ms")
    return answer


@dataclass(frozen=True)
class IndexState:
    """What an index holds: live documents and chunks, vectors, BM25 served and saved."""

    sources: frozenset[str]
    manifest: frozenset[str]
    vectors: frozenset[str]
    served_bm25: frozenset[str]
    saved_bm25: frozenset[str]


def index_state(data_dir: Path, embedder: Embedder) -> IndexState:
    corpus = Corpus(Settings(data_dir=data_dir, llm="extractive"), embedder)
    try:
        saved = LexicalIndex.load(corpus.settings.lexical_dir)
        return IndexState(
            sources=frozenset(d.source for d in corpus.manifest.documents()),
            manifest=frozenset(corpus.manifest.chunk_ids()),
            vectors=frozenset(corpus.store.all_ids()),
            served_bm25=frozenset(corpus.lexical().ids),
            saved_bm25=frozenset(saved.ids if saved else ()),
        )
    finally:
        corpus.close()


def assert_consistent(state: IndexState) -> None:
    """What retrieval serves is exactly the committed manifest: nothing half-written."""
    assert state.served_bm25 == state.manifest
    assert state.manifest <= state.vectors


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and everything in it without write permission, restored afterwards."""
    modes = {path: path.stat().st_mode for path in [folder, *folder.rglob("*")]}
    for path, mode in modes.items():
        path.chmod(mode & ~0o222)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


def largest_file(folder: Path) -> int:
    return max(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def used_bytes(folder: Path) -> int:
    return sum(p.stat().st_blocks * 512 for p in folder.rglob("*") if p.is_file())


@contextmanager
def small_tmpfs(mountpoint: Path, size: int) -> Iterator[Callable[[int], None]]:
    """A tmpfs of ``size`` bytes (a disk that fills up); yields a function resizing it."""
    mountpoint.mkdir()
    options = ["-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mountpoint)]
    done = subprocess.run(["mount", *options], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")

    def resize(new_size: int) -> None:
        remount = ["mount", "-o", f"remount,size={new_size}", str(mountpoint)]
        subprocess.run(remount, check=True, capture_output=True)

    try:
        yield resize
    finally:
        # Lazy: this test process may still hold files there open (a cached Chroma client).
        subprocess.run(["umount", "-l", str(mountpoint)], check=False, capture_output=True)
