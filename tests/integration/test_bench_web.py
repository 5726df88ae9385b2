"""The web part of `rag bench` (evals/bench_web.py) on a few pages: real loopback HTTP,
real extraction, a real feed ingested into embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.bench_web import bench_web
from rag.adapters.embedders import Embedder
from rag.settings import Settings

pytestmark = pytest.mark.integration


def test_bench_web_measures_every_stage_and_the_fallback_keeps_the_frame(
    tmp_path: Path, settings: Settings, embedder: Embedder
) -> None:
    result = bench_web(tmp_path, settings, embedder, 4)
    assert result["pages"] == 4
    for rate in ("fetch_pages_per_s", "extract_pages_per_s", "fallback_pages_per_s"):
        assert result[rate] > 0
    assert (result["extract_boilerplate_pages"], result["fallback_boilerplate_pages"]) == (0, 4)
    assert result["ingest_s_per_page"] > result["reingest_s_per_page"] > 0
    assert result["reingest_new_vectors"] == 0
