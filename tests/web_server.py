"""A real news site on loopback for tests: saved pages and feeds (tests/data/web), and the
misbehaving servers a fetcher must survive (endless, huge, redirecting without end).

    with web_site() as site:            # or: site = start_web_site(); ...; site.stop()
        ingest_url(corpus, site.url("/news/2024/03/larkspur-harbour-tunnel-opens"))

Pages and feeds name the site as ``{{BASE}}`` (its base URL, filled in when served) and
an address nobody listens on as ``{{CLOSED}}``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.conftest import free_port

WEB_DATA = Path(__file__).parent / "data" / "web"
ARTICLE_PATH = "/news/2024/03/larkspur-harbour-tunnel-opens"
HTML = "text/html; charset=utf-8"
# Saved files, by path: (file, Content-Type).
PAGES = {
    ARTICLE_PATH: ("article.html", HTML),
    "/news/tunnel.html": ("article.html", HTML),  # the same story under a second URL
    "/news/2024/03/ferry-timetable": ("ferry.html", HTML),
    "/news/2024/03/school-roof": ("school.html", HTML),
    "/paywall/budget-row": ("paywall.html", HTML),
    "/world/cp1252": ("cp1252.html", "text/html; charset=windows-1252"),
    "/feeds/rss.xml": ("rss.xml", "application/rss+xml; charset=utf-8"),
    "/feeds/atom.xml": ("atom.xml", "text/xml"),  # a feed known by its content alone
    "/feeds/hostile.xml": ("hostile-rss.xml", "application/rss+xml"),
}
# What the article at ARTICLE_PATH says, paragraph by paragraph, and phrases of the page
# around it (menus, banners, adverts, comments, footers, scripts) on it and the others.
STORY = [
    "Harbour tunnel opens after six years of work",
    "The Larkspur harbour tunnel opened to traffic on Tuesday morning, six years after the "
    "first section of the bored tube was lowered into the estuary.",
    "The 2.4-kilometre crossing links the container port on the northern shore with the ring "
    "road south of the river, and is expected to carry 38,000 vehicles a day by the end of "
    "the year.",
    "The project cost £1.9bn, about £400m more than the budget approved by the regional "
    "council in 2017, largely because flooding in 2021 halted boring for eleven months.",
    '"This is the day the two halves of the city finally meet," said council leader Idris '
    "Penhallow, who drove the first car through the tunnel shortly after 6am.",
    "Freight operators say the tunnel will cut the journey between the port and the motorway "
    "from 40 minutes to 12, and remove about 1,500 lorries a day from the old swing bridge.",
    "Tolls of £2.50 for cars and £7 for lorries will apply from 1 April, with a discount for "
    "residents who register their vehicles before the end of the month.",
]
BOILERPLATE = [
    "cookies",
    "Accept all",
    "Subscribe",
    "Search the Herald",
    "Related stories",
    "Port expansion to create 600 jobs",
    "harbourwatcher",
    "About time!",
    "The tolls are far too high",
    "Advertisement",
    "Switch your energy supplier",
    "morning briefing",
    "Share on Facebook",
    "Privacy policy",
    "All rights reserved",
    "dataLayer",
    "Most read",
    "Join the conversation",
]
DRIP_INTERVAL_S = 0.05
HUGE_BYTES = 8 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def log_message(self, format: str, *args: object) -> None:
        return None  # quiet: pytest shows failures, not every request

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.requests.append(self.path)
        self.server.hosts.append(self.headers.get("Host", ""))
        route = _ROUTES.get(parts.path)
        if route is not None:
            route(self, parse_qs(parts.query))
        elif parts.path in PAGES:
            name, content_type = PAGES[parts.path]
            self._send(200, self.server.fill((WEB_DATA / name).read_bytes()), content_type)
        elif parts.path.startswith("/hop/"):  # a redirect chain without end
            self._redirect(f"/hop/{int(parts.path.removeprefix('/hop/')) + 1}")
        else:
            self._send(404, b"<html><body><h1>Not found</h1></body></html>", HTML)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _stream(self, chunks: Iterator[bytes]) -> None:
        """A body with no Content-Length, ended by closing: nothing says how long it is."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", HTML)
        self.end_headers()
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should


def _go_tunnel(handler: _Handler, _query: dict[str, list[str]]) -> None:
    handler._redirect("/news/tunnel.html?utm_source=rss")


def _redirect_to(handler: _Handler, query: dict[str, list[str]]) -> None:
    handler._redirect(query["to"][0])


def _drip(handler: _Handler, _query: dict[str, list[str]]) -> None:
    def forever() -> Iterator[bytes]:
        yield b"<html><body><p>"
        stop = time.monotonic() + 120  # a bound for the server thread, not for the client
        while time.monotonic() < stop and not handler.server.stopping.is_set():
            time.sleep(DRIP_INTERVAL_S)
            yield b"a"

    handler._stream(forever())


def _huge(handler: _Handler, _query: dict[str, list[str]]) -> None:
    paragraph = b"<p>" + b"Filler text of an enormous page. " * 30 + b"</p>\n"
    count = HUGE_BYTES // len(paragraph) + 1
    handler._stream(iter([b"<html><body>", *([paragraph] * count), b"</body></html>"]))


_ROUTES: dict[str, Callable[[_Handler, dict[str, list[str]]], None]] = {
    "/go/tunnel": _go_tunnel,
    "/redirect": _redirect_to,
    "/drip": _drip,
    "/huge": _huge,
}


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.base_url = f"http://127.0.0.1:{self.server_address[1]}"
        self.closed_url = f"http://127.0.0.1:{free_port()}"  # free: nobody listens there
        self.requests: list[str] = []
        self.hosts: list[str] = []  # each request's Host header
        self.stopping = threading.Event()

    def fill(self, body: bytes) -> bytes:
        return body.replace(b"{{BASE}}", self.base_url.encode()).replace(
            b"{{CLOSED}}", self.closed_url.encode()
        )


@dataclass
class WebSite:
    """A running site: ``url(path)`` for its pages; ``requests`` and ``hosts``: the paths
    asked and the Host headers sent, in order."""

    base_url: str
    closed_url: str
    _server: _Site
    _thread: threading.Thread

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def requests(self) -> list[str]:
        return self._server.requests

    @property
    def hosts(self) -> list[str]:
        return self._server.hosts

    def stop(self) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


def start_web_site() -> WebSite:
    """Serve the saved site on a free loopback port until ``stop()``."""
    server = _Site()
    thread = threading.Thread(target=server.serve_forever, name="web-site", daemon=True)
    thread.start()
    return WebSite(server.base_url, server.closed_url, server, thread)


@contextmanager
def web_site() -> Iterator[WebSite]:
    site = start_web_site()
    try:
        yield site
    finally:
        site.stop()
