"""/docs in a real Chromium with every request off this machine blocked: Swagger UI
renders the API from assets the server itself serves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, GuardedPage, ServedApp

pytestmark = pytest.mark.e2e


def test_swagger_ui_renders_offline(
    chat_app: ServedApp, open_page: Callable[[], GuardedPage]
) -> None:
    guarded = open_page()
    page = guarded.page
    page.goto(f"{chat_app.url}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("news-rag")
    operation = page.locator(".opblock-summary-path", has_text="/v1/chat/completions")
    expect(operation).to_be_visible()
    page.locator(".opblock-summary-path", has_text="/v1/ask").first.click()
    expect(page.get_by_text("Answer a question with verified citations.").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "docs.png"), full_page=True)
    assert guarded.blocked == []  # open_page also fails the test on any blocked request
    # ReDoc's bundle fetches its logo from a CDN: the page is not served.
    assert page.request.get(f"{chat_app.url}/redoc").status == 404
