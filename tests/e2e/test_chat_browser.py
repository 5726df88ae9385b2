"""The chat page in a real headless Chromium against the real app (`rag serve`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.conftest import SAMPLES
from tests.e2e.conftest import API_KEY, ARTIFACTS, GuardedPage, ServedApp
from ui.chat import EXAMPLES

pytestmark = pytest.mark.e2e

OpenPage = Callable[[], GuardedPage]
# A finished turn: an answer or refusal with its footer, or an error box.
FINAL = "#rag-chat :is(.rag-answer, .rag-refusal):has(> .rag-meta), #rag-chat .rag-error"
ANSWER_TIMEOUT_MS = 120_000
NAMES_QUESTION = "Who exchanged the ratification documents?"
CITED_SOURCE = "001_a4b0b9614c74e4e8.txt"
UPLOAD_NAME = "harbour_notes.txt"
MARKUP = '<img src=x onerror="window.__pwned=1">'
# Markup inside the cited sentence: the answer and the source card must show it as text.
UPLOAD_TEXT = (
    "Harbour notes\n\n"
    "The Zephyr lighthouse at Port Aldane was repainted <b>cobalt blue</b> in March 2023 "
    f"by the Harbour Guild {MARKUP}.\n"
    "The guild meets every second Tuesday.\n"
)
CONCURRENT_CHATS = 8
# Generous: two shared cores run eight answers at once while this request waits its turn.
HEALTH_BUDGET_S = 2.0


def open_chat(app: ServedApp, open_page: OpenPage, path: str = "") -> Page:
    page = open_page().page
    page.goto(app.ui + path)
    expect(page.locator("#rag-question textarea")).to_be_visible(timeout=30_000)
    return page


def submit(page: Page, question: str) -> int:
    """Send a question; returns how many finished turns the page showed before."""
    before = page.locator(FINAL).count()
    page.locator("#rag-question textarea").fill(question)
    page.locator("#rag-ask").click()
    return before


def answer_after(page: Page, before: int) -> Locator:
    finals = page.locator(FINAL)
    expect(finals).to_have_count(before + 1, timeout=ANSWER_TIMEOUT_MS)
    answer = finals.last
    assert "rag-error" not in (answer.get_attribute("class") or ""), answer.inner_text()
    return answer


def ask(page: Page, question: str) -> Locator:
    return answer_after(page, submit(page, question))


def open_citation(page: Page, answer: Locator, n: int) -> Locator:
    answer.locator("a.rag-cite", has_text=f"[{n}]").first.click()
    card = page.locator(".rag-source.rag-active")
    expect(card).to_have_count(1)
    expect(card).to_be_in_viewport()
    return card


def test_cited_answer_links_to_the_highlighted_quote(
    chat_app: ServedApp, open_page: OpenPage
) -> None:
    page = open_chat(chat_app, open_page)
    for example in EXAMPLES:
        expect(page.locator("#rag-chat")).to_contain_text(example)
    answer = ask(page, NAMES_QUESTION)
    assert "Kim Jong Gyu" in answer.inner_text()
    assert "Rudenko" in answer.inner_text()
    card = open_citation(page, answer, 1)
    assert card.get_attribute("id") == "rag-src-1-1"
    assert card.get_attribute("open") is not None
    expect(card.locator(".rag-file")).to_have_text(CITED_SOURCE)
    quote = card.locator("mark").inner_text()
    assert "Andrei Rudenko exchanged ratification documents" in quote
    assert quote in (SAMPLES / CITED_SOURCE).read_text(encoding="utf-8")
    # The passage around the quote is shown too, not only the quote.
    assert len(card.locator(".rag-passage").inner_text()) > len(quote) + 100
    page.screenshot(path=ARTIFACTS / "chat-cited-answer.png")


def test_refusal_is_shown_as_a_refusal(chat_app: ServedApp, open_page: OpenPage) -> None:
    page = open_chat(chat_app, open_page)
    answer = ask(page, "What is the capital of Australia?")
    assert "rag-refusal" in (answer.get_attribute("class") or "")
    expect(answer).to_contain_text("The sources do not say")
    expect(answer.locator("a.rag-cite")).to_have_count(0)
    background = answer.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")
    expect(page.locator("#rag-sources")).to_contain_text("Cited sources appear here")
    page.screenshot(path=ARTIFACTS / "chat-refusal.png")


def test_follow_up_question_uses_the_conversation(chat_app: ServedApp, open_page: OpenPage) -> None:
    page = open_chat(chat_app, open_page)
    ask(page, NAMES_QUESTION)
    follow_up = ask(page, "In which city?")
    expect(follow_up).to_contain_text("Moscow")
    # The side panel keeps both answers' sources, the latest first.
    sections = page.locator("#rag-sources .rag-turn-sources")
    expect(sections).to_have_count(2)
    expect(sections.first.locator("h4")).to_contain_text("In which city?")


def test_conflicting_sources_list_both_claims(chat_app: ServedApp, open_page: OpenPage) -> None:
    page = open_chat(chat_app, open_page)
    page.locator("#rag-chat").get_by_text(EXAMPLES[1]).click()
    answer = answer_after(page, 0)
    conflict = answer.locator(".rag-conflict")
    expect(conflict).to_have_count(1)
    claims = conflict.locator("li")
    expect(claims).to_have_count(2)
    sources = " ".join(claims.all_inner_texts())
    assert "000_aff0d55bc72581f4.txt" in sources
    assert CITED_SOURCE in sources
    assert "Thursday" in sources
    assert "Wednesday" in sources
    page.screenshot(path=ARTIFACTS / "chat-conflict.png")


def _upload(page: Page, path: Path) -> None:
    page.get_by_role("tab", name="Sources").click()
    page.locator("#rag-upload input[type=file]").set_input_files(str(path))
    expect(page.locator("#rag-docs-status")).to_contain_text("1 added", timeout=60_000)
    expect(page.locator("#rag-docs")).to_contain_text(path.name)
    page.screenshot(path=ARTIFACTS / "sources-tab.png")


def _delete(page: Page, name: str) -> None:
    page.get_by_role("tab", name="Sources").click()
    page.locator("#rag-doc-choice input").click()
    page.get_by_role("option", name=name).click()
    page.locator("#rag-delete").click()
    expect(page.locator("#rag-docs-status")).to_contain_text("Deleted 1 document")
    expect(page.locator("#rag-docs")).not_to_contain_text(name)


def test_uploaded_file_is_answerable_escaped_and_deletable(
    chat_app: ServedApp, open_page: OpenPage, tmp_path: Path
) -> None:
    page = open_chat(chat_app, open_page)
    upload = tmp_path / UPLOAD_NAME
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    _upload(page, upload)
    page.get_by_role("tab", name="Chat").click()
    answer = ask(page, "What colour was the Zephyr lighthouse repainted?")
    expect(answer).to_contain_text("<b>cobalt blue</b>")
    expect(answer).to_contain_text(MARKUP)
    card = open_citation(page, answer, 1)
    expect(card.locator(".rag-file")).to_have_text(UPLOAD_NAME)
    expect(card.locator("mark")).to_contain_text(MARKUP)
    expect(
        page.locator("#rag-chat .rag-answer :is(img, b), #rag-sources :is(img, b)")
    ).to_have_count(0)
    assert page.evaluate("() => window.__pwned === undefined")
    _delete(page, UPLOAD_NAME)


def test_simultaneous_chats_are_all_answered(chat_app: ServedApp, open_page: OpenPage) -> None:
    questions = [(NAMES_QUESTION, "Rudenko"), ("Where were the documents exchanged?", "Moscow")]
    pages = [open_chat(chat_app, open_page) for _ in range(CONCURRENT_CHATS)]
    started = time.perf_counter()
    pending = [(page, submit(page, questions[i % 2][0])) for i, page in enumerate(pages)]
    # While every chat is in flight the server still answers other requests promptly.
    health_started = time.perf_counter()
    assert httpx.get(f"{chat_app.url}/healthz", timeout=5).status_code == 200
    health_s = time.perf_counter() - health_started
    for i, (page, before) in enumerate(pending):
        expect(answer_after(page, before)).to_contain_text(questions[i % 2][1])
    elapsed = time.perf_counter() - started
    print(f"{CONCURRENT_CHATS} chats answered in {elapsed:.1f} s; /healthz took {health_s:.3f} s")
    assert health_s < HEALTH_BUDGET_S


def test_login_required_when_an_api_key_is_set(secured_app: ServedApp, open_page: OpenPage) -> None:
    page = open_page().page
    page.goto(secured_app.ui)
    password = page.locator("input[type=password]")
    expect(password).to_be_visible(timeout=30_000)
    expect(page.locator("#rag-question")).to_have_count(0)
    for key in ("wrong key", API_KEY):
        # Gradio's form forgets the user name after a failed attempt: fill both each time.
        page.get_by_label("username").fill("anyone")
        password.fill(key)
        page.get_by_role("button", name="Login").click()
        if key != API_KEY:
            expect(page.get_by_text("Incorrect Credentials")).to_be_visible()
    expect(page.locator("#rag-question textarea")).to_be_visible(timeout=30_000)
    expect(ask(page, NAMES_QUESTION)).to_contain_text("Rudenko")


def test_local_llm_answer_in_the_page(llm_chat_app: ServedApp, open_page: OpenPage) -> None:
    page = open_chat(llm_chat_app, open_page)
    page.locator("#rag-generator").get_by_text("local").click()
    answer = ask(page, NAMES_QUESTION)
    expect(answer.locator(".rag-meta")).to_contain_text("local")
    # The reader's verified answer names both officials, with its cited sentence.
    expect(answer).to_contain_text("Rudenko")
    quote = open_citation(page, answer, 1).locator("mark").inner_text()
    assert any(quote in path.read_text(encoding="utf-8") for path in SAMPLES.glob("*.txt"))
    page.screenshot(path=ARTIFACTS / "chat-local-llm.png")
