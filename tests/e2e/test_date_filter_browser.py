"""The chat page's date filter in a real headless Chromium against the real app."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import GuardedPage, ServedApp, serve_app
from tests.e2e.test_chat_browser import FINAL, answer_after, open_chat, submit
from tests.integration.test_date_filters import ARTICLES, QUESTION

pytestmark = pytest.mark.e2e

OpenPage = Callable[[], GuardedPage]


@pytest.fixture(scope="module")
def dated_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The app with the samples and the three harbour articles (2023, 2025, undated)."""
    with serve_app(tmp_path_factory.mktemp("e2e-dates")) as app:
        lines = "\n".join(json.dumps(a) for a in ARTICLES).encode()
        files = {"file": ("harbour.jsonl", lines, "application/jsonl")}
        response = httpx.post(f"{app.url}/v1/documents", files=files, timeout=120)
        assert response.status_code == 201, response.text
        yield app


def _filter(page: Page, since: str, until: str) -> None:
    if not page.locator("#rag-since").is_visible():
        page.get_by_text("Filter by date").click()
    page.locator("#rag-since input, #rag-since textarea").fill(since)
    page.locator("#rag-until input, #rag-until textarea").fill(until)


def _ask(page: Page) -> str:
    return answer_after(page, submit(page, QUESTION)).inner_text()


def test_the_date_filter_picks_the_article_of_its_time(
    dated_app: ServedApp, open_page: OpenPage
) -> None:
    page = open_chat(dated_app, open_page)
    _filter(page, "2025-01-01", "")
    newer = _ask(page)
    assert "Boris Tamm" in newer and "Anna Kask" not in newer
    expect(page.locator("#rag-sources")).to_contain_text("2025-06-01")
    _filter(page, "", "2024-12-31")
    older = _ask(page)
    assert "Anna Kask" in older and "Boris Tamm" not in older


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [("soon", "", "since must be an ISO date"), ("2025-02-01", "2025-01-01", "later than until")],
)
def test_a_bad_date_is_shown_as_an_error(
    dated_app: ServedApp, open_page: OpenPage, since: str, until: str, message: str
) -> None:
    page = open_chat(dated_app, open_page)
    _filter(page, since, until)
    before = submit(page, QUESTION)
    finals = page.locator(FINAL)
    expect(finals).to_have_count(before + 1, timeout=60_000)
    error = finals.last
    expect(error).to_have_class("rag-error")
    expect(error).to_contain_text(message)
    # The page goes on: the same question without the bad date is answered (an error is
    # not kept in the transcript, so the answer takes its place).
    _filter(page, "", "")
    submit(page, QUESTION)
    expect(page.locator("#rag-chat .rag-error")).to_have_count(0, timeout=60_000)
    expect(finals).to_have_count(before + 1, timeout=60_000)
    expect(finals.last).to_contain_text("The harbour master of Tallinn is")
