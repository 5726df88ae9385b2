"""Web ingestion: pages fetched over loopback, extracted (trafilatura beside the
whole-page fallback, same pages), and a feed of them ingested end to end.

The pages are synthetic articles (evals.synth) in a news site's frame: menu, cookie
banner, related stories, comments, footer. ``*_boilerplate_pages``: pages whose text
still holds the cookie banner, which retrieval could then cite.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from evals.synth import article
from index.fetch import Fetcher, FetchLimits
from index.html import read_page, whole_page
from index.web import ingest_url
from rag.adapters.embedders import Embedder
from rag.retrieval.corpus import Corpus
from rag.settings import Settings

_MENU = "<ul><li><a href='/news'>News</a></li><li><a href='/sport'>Sport</a></li></ul>"
_PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title} | Bench Herald</title>"
    "<script>window.dataLayer = [];</script></head><body><div class='cookie-banner'><p>We use "
    "cookies to personalise ads.</p><button>Accept</button></div><header><nav>{menu}</nav>"
    "</header><main><article><h1>{title}</h1>{body}</article><section class='related'><h2>"
    "Related stories</h2>{menu}</section><section class='comments'><h2>Comments</h2><p>First!"
    "</p></section></main><footer><p>All rights reserved.</p></footer></body></html>"
)


def _serve(files: dict[str, tuple[bytes, str]]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            return None

        def do_GET(self) -> None:
            body, kind = files.get(self.path, (b"", "text/plain"))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _pages(base: str, count: int, files: dict[str, tuple[bytes, str]]) -> list[str]:
    """Fill ``files`` with ``count`` pages and their feed (/feed.xml); the pages' HTML."""
    rng, htmls, items = random.Random(3), [], []
    for i in range(count):
        title, *paragraphs = article(rng, rng.randint(8, 16))[1].strip().split("\n\n")
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        htmls.append(_PAGE.format(title=title, menu=_MENU, body=body))
        files[f"/story/{i}"] = (htmls[-1].encode(), "text/html; charset=utf-8")
        items.append(f"<item><title>{title}</title><link>{base}/story/{i}</link></item>")
    feed = f"<?xml version='1.0'?><rss version='2.0'><channel>{''.join(items)}</channel></rss>"
    files["/feed.xml"] = (feed.encode(), "application/rss+xml")
    return htmls


def _per_s(fn: Callable[[str], Any], items: Sequence[str]) -> tuple[float, list[Any]]:
    started = time.perf_counter()
    results = [fn(item) for item in items]
    return round(len(items) / (time.perf_counter() - started), 1), results


def bench_web(root: Path, base: Settings, embedder: Embedder, count: int) -> dict[str, float]:
    files: dict[str, tuple[bytes, str]] = {}
    server = _serve(files)
    site = f"http://127.0.0.1:{server.server_address[1]}"
    settings = base.model_copy(update={"data_dir": root / "web-data"})
    corpus = Corpus(settings, embedder)
    try:
        htmls = _pages(site, count, files)
        with Fetcher(FetchLimits.of(settings)) as fetcher:
            fetch_per_s, _ = _per_s(fetcher.get, [f"{site}/story/{i}" for i in range(count)])
        main_per_s, main = _per_s(lambda html: read_page(html, "page.html"), htmls)
        whole_per_s, whole = _per_s(lambda html: whole_page(html, "page.html"), htmls)
        first = ingest_url(corpus, f"{site}/feed.xml", allow_networks=["127.0.0.0/8"])
        second = ingest_url(corpus, f"{site}/feed.xml", allow_networks=["127.0.0.0/8"])
    finally:
        corpus.close()
        server.shutdown()
        server.server_close()
    return {
        "pages": count,
        "fetch_pages_per_s": fetch_per_s,
        "extract_pages_per_s": main_per_s,
        "fallback_pages_per_s": whole_per_s,
        "extract_boilerplate_pages": sum("cookies" in page.text for page in main),
        "fallback_boilerplate_pages": sum("cookies" in page.text for page in whole),
        "ingest_s_per_page": round(first.seconds / count, 3),
        "reingest_s_per_page": round(second.seconds / count, 3),
        "reingest_new_vectors": second.chunks_embedded,
    }
