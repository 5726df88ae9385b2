"""The real app (`rag serve` in a subprocess) and Debian's Chromium driven by Playwright.

Each served app gets its own data folder with the sample articles ingested, and its
environment is rebuilt from scratch so a developer's RAG_* variables or .env cannot leak
in. Every page is routed through a guard that blocks and records any request leaving
the machine: the chat page must render with no network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright

from tests.api_server import START_TIMEOUT_S, serve_samples
from tests.conftest import ROOT, wait_http

# The reader server fixture lives with the integration tier; importing it here makes it
# available to these tests too (pytest finds fixtures by name in a conftest's namespace).
from tests.integration.conftest import READER_MODEL, llm_server, reader_model_path  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts"
API_KEY = "e2e-secret-key"
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


@dataclass(frozen=True)
class ServedApp:
    """A running `rag serve` process and where it keeps its data."""

    url: str
    data_dir: Path

    @property
    def ui(self) -> str:
        return f"{self.url}/ui/"


@dataclass
class GuardedPage:
    """A page whose requests off this machine are aborted and recorded."""

    page: Page
    context: BrowserContext
    blocked: list[str] = field(default_factory=list)


@contextmanager
def serve_app(data_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[ServedApp]:
    """Ingest the sample articles into ``data_dir``, then run `rag serve` until exit."""
    with serve_samples(data_dir, extra_env) as api:
        # The page is only tested once its store and generator are ready.
        wait_http(f"{api.url}/readyz", api.process, timeout_s=START_TIMEOUT_S)
        yield ServedApp(url=api.url, data_dir=data_dir)


@pytest.fixture(scope="session")
def chat_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The app with the extractive generator (fast, no LLM)."""
    with serve_app(tmp_path_factory.mktemp("e2e-app")) as app:
        yield app


# Module scope: the browser closes once this module's tests are done, not at session end.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is absent (install Debian's chromium: `make browser`)")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


def _guard(blocked: list[str]) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in _LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return handle


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[], GuardedPage]]:
    """Opens pages, each in its own browser context (a separate user); closes them after."""
    opened: list[GuardedPage] = []

    def open_one() -> GuardedPage:
        context = browser.new_context(viewport={"width": 1400, "height": 950})
        guarded = GuardedPage(page=context.new_page(), context=context)
        context.route("**/*", _guard(guarded.blocked))
        opened.append(guarded)
        return guarded

    yield open_one
    for guarded in opened:
        guarded.context.close()
    leaks = [url for guarded in opened for url in guarded.blocked]
    assert not leaks, f"the page tried to reach the network: {leaks}"


@pytest.fixture(scope="session")
def llm_chat_app(tmp_path_factory: pytest.TempPathFactory, llm_server: str) -> Iterator[ServedApp]:  # noqa: F811
    """The app with the real local reader behind its `local` generator (extractive default)."""
    extra = {
        "RAG_LLM_BASE_URL": llm_server,
        "RAG_LLM_MODEL": READER_MODEL,
    }
    with serve_app(tmp_path_factory.mktemp("e2e-llm-app"), extra) as app:
        yield app


@pytest.fixture(scope="session")
def secured_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApp]:
    """The app with RAG_API_KEY set: the page asks for a login."""
    with serve_app(tmp_path_factory.mktemp("e2e-secured-app"), {"RAG_API_KEY": API_KEY}) as app:
        yield app
