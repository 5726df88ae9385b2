"""The Sources tab in a real Chromium against the real app: an upload of several files is
one job, shown by a progress bar while it runs and by its report and the table after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS, GuardedPage, ServedApp, serve_app
from tests.web_server import ARTICLE_PATH, WebSite

pytestmark = pytest.mark.e2e

OpenPage = Callable[[], GuardedPage]
JOB_TIMEOUT_MS = 120_000
# Every data-status the job's bar shows, recorded as the page changes it: a test that
# only looked at the end could not tell a bar that never showed progress.
RECORD_STATUSES = """() => {
  window.__jobStatuses = [];
  new MutationObserver(() => {
    const bar = document.querySelector('#rag-job-progress .rag-job');
    const status = bar && bar.dataset.status;
    const seen = window.__jobStatuses;
    if (status && seen[seen.length - 1] !== status) seen.push(status);
  }).observe(document.body, {subtree: true, childList: true, attributes: true});
}"""


@pytest.fixture(scope="module")
def sources_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """An app of its own: what these tests add must not change the other pages' answers.
    It may fetch from loopback, where the test's news site is."""
    env = {"RAG_URL_ALLOW_NETWORKS": '["127.0.0.0/8"]'}
    with serve_app(tmp_path_factory.mktemp("e2e-sources"), env) as app:
        yield app


def open_sources(app: ServedApp, open_page: OpenPage) -> Page:
    page = open_page().page
    page.goto(app.ui)
    page.get_by_role("tab", name="Sources").click()
    expect(page.locator("#rag-docs")).to_contain_text("001_a4b0b9614c74e4e8.txt", timeout=30_000)
    page.evaluate(RECORD_STATUSES)
    return page


def _files(folder: Path, count: int) -> list[Path]:
    paths = []
    for n in range(count):
        path = folder / f"heron_count_{n}.txt"
        body = " ".join(f"Pond {s} of survey {n} counted {n * 11 + s} herons." for s in range(60))
        path.write_text(f"Heron survey {n}\n\n{body}\n", encoding="utf-8")
        paths.append(path)
    return paths


def test_several_files_upload_as_one_job_with_a_progress_bar(
    sources_app: ServedApp, open_page: OpenPage, tmp_path: Path
) -> None:
    page = open_sources(sources_app, open_page)
    files = _files(tmp_path, 3)
    page.locator("#rag-upload input[type=file]").set_input_files([str(p) for p in files])
    bar = page.locator("#rag-job-progress .rag-job")
    expect(bar).to_have_attribute("data-status", "done", timeout=JOB_TIMEOUT_MS)
    expect(bar).to_contain_text("3/3 files")
    assert page.locator("#rag-job-progress progress").get_attribute("value") == "3"
    seen = page.evaluate("window.__jobStatuses")
    assert seen[-1] == "done" and {"queued", "running"} & set(seen[:-1]), seen
    status = page.locator("#rag-docs-status")
    expect(status).to_contain_text("3 added")
    table = page.locator("#rag-docs")
    for path in files:
        expect(table).to_contain_text(path.name)
    page.screenshot(path=str(ARTIFACTS / "sources-job.png"), full_page=True)


def test_a_bad_file_among_several_is_named_with_its_reason(
    sources_app: ServedApp, open_page: OpenPage, tmp_path: Path
) -> None:
    page = open_sources(sources_app, open_page)
    good, empty = tmp_path / "kestrel_notes.md", tmp_path / "blank_page.txt"
    good.write_text("# Kestrels\n\nTwelve kestrels nested on the Ribe church tower.\n")
    empty.write_bytes(b"")
    page.locator("#rag-upload input[type=file]").set_input_files([str(good), str(empty)])
    status = page.locator("#rag-docs-status")
    expect(status).to_contain_text("1 added", timeout=JOB_TIMEOUT_MS)
    expect(status).to_contain_text("skipped blank_page.txt")
    expect(page.locator("#rag-docs")).to_contain_text("kestrel_notes.md")
    expect(page.locator("#rag-docs")).not_to_contain_text("blank_page.txt")


def test_a_web_page_by_url_is_a_job_and_lands_in_the_table(
    sources_app: ServedApp, open_page: OpenPage, web_site: WebSite
) -> None:
    page = open_sources(sources_app, open_page)
    page.locator("#rag-url input, #rag-url textarea").first.fill(web_site.url("/go/tunnel"))
    page.locator("#rag-url-add").click()
    bar = page.locator("#rag-job-progress .rag-job")
    expect(bar).to_have_attribute("data-status", "done", timeout=JOB_TIMEOUT_MS)
    expect(bar).to_contain_text("1/1 files")
    seen = page.evaluate("window.__jobStatuses")
    assert seen[-1] == "done" and {"queued", "running"} & set(seen[:-1]), seen
    expect(page.locator("#rag-docs-status")).to_contain_text("1 added")
    # Named by the page's canonical URL, not the redirect it was reached through.
    table = page.locator("#rag-docs")
    expect(table).to_contain_text(web_site.url(ARTICLE_PATH))
    expect(table).to_contain_text("Harbour tunnel opens after six years of work")
    page.screenshot(path=str(ARTIFACTS / "sources-url-job.png"), full_page=True)


def test_a_refused_url_says_why_and_starts_nothing(
    sources_app: ServedApp, open_page: OpenPage
) -> None:
    page = open_sources(sources_app, open_page)
    page.locator("#rag-url input, #rag-url textarea").first.fill("http://10.20.30.40/intranet")
    page.locator("#rag-url-add").click()
    status = page.locator("#rag-docs-status")
    expect(status).to_contain_text("Not ingested", timeout=30_000)
    expect(status).to_contain_text("10.20.30.40 is a private")
    assert page.locator("#rag-job-progress .rag-job").count() == 0
