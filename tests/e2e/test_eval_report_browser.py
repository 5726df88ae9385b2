"""The eval report as a reader sees it: a real headless Chromium opens the generated file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
RAG = Path(sys.executable).with_name("rag")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """A report written by `rag eval` over the samples (gates off: this tests the page)."""
    work = tmp_path_factory.mktemp("report")
    path = work / "report.html"
    env = {**os.environ, "RAG_DATA_DIR": str(work / "data"), "RAG_LLM": "extractive"}
    args = ["eval", "--ingest", str(sample_dir), "--generator", "extractive"]
    args += ["--report", str(path), "--fail-under", "answer_accuracy=0"]
    subprocess.run([str(RAG), *args], env=env, cwd=ROOT, check=True, timeout=900)
    return path


def test_report_renders_its_charts_and_summary(browser: Any, report: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(report.as_uri(), wait_until="load")
    widths = page.eval_on_selector_all(
        "img", "images => images.map(i => (i.complete ? i.naturalWidth : 0))"
    )
    assert len(widths) == 2 and all(width > 0 for width in widths), widths
    summary = page.locator("#summary")
    assert summary.is_visible()
    assert summary.locator("thead th").all_inner_texts() == ["metric", "extractive"]
    assert "answer_accuracy" in summary.inner_text()
    # Nothing but the file itself and its inline images: it reads the same offline.
    assert all(url.startswith(("file://", "data:")) for url in requested), requested
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "eval_report.png"), full_page=True)
    page.close()
