"""Ingest a web page or a feed by URL: fetch (bounded, guarded), extract, store.

A document from the web is named by its URL: the page's canonical URL when the page
gives one on its own host, else the URL it was fetched from after redirects. Fetching
happens before the write lock is taken, so a slow site never holds up other writers;
storing goes through ``ingest_articles``, so an unchanged page costs nothing twice.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from urllib.parse import urldefrag, urljoin, urlsplit

from rag.errors import FetchError, InputError, LoaderError
from rag.retrieval.corpus import Corpus
from rag.types import Article, IngestReport

from .feeds import FeedEntry, feed_entries, is_feed
from .fetch import Fetched, Fetcher, FetchLimits
from .html import HTML_TYPES, html_text, read_page
from .ingest import Progress, ingest_articles, ingest_lock
from .loaders import LoadedFile, make_article
from .netguard import NetGuard


def _quiet(_report: IngestReport) -> None:
    return None


def ingest_url(
    corpus: Corpus,
    url: str,
    *,
    feed: bool | None = None,
    allow_networks: Sequence[str] | None = None,
    progress: Progress = _quiet,
) -> IngestReport:
    """Ingest the page at ``url``, or every entry's page when it is an RSS or Atom feed.

    ``feed``: None decides by the content, True requires a feed, False a page.
    ``allow_networks``: None fetches from anywhere (the CLI, a local user's own command);
    a list (the API: ``Settings.url_allow_networks``) refuses every address that is not
    public unless one of these networks holds it (index.netguard)."""
    started = time.perf_counter()
    report = IngestReport()
    guard = None if allow_networks is None else NetGuard(allow_networks)
    with Fetcher(FetchLimits.of(corpus.settings), guard) as fetcher:
        first = fetcher.get(url)
        as_feed = is_feed(first) if feed is None else feed
        if as_feed:
            articles = _feed_articles(fetcher, first, corpus, report, progress)
        else:
            report.files_total = report.files_seen = 1
            loaded = page_file(first)
            articles = loaded.articles
            report.skipped.extend(loaded.warnings)
            progress(report)
    with ingest_lock(corpus):
        ingest_articles(corpus, articles, report, progress)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def page_file(fetched: Fetched, entry: FeedEntry | None = None) -> LoadedFile:
    """The article of a fetched page; a feed ``entry`` fills in a title or date it lacks."""
    if fetched.media_type not in HTML_TYPES:
        kind = fetched.media_type or "of no declared type"
        raise FetchError(fetched.url, f"is {kind}, not a web page (HTML) or a feed")
    page = read_page(html_text(fetched.data, fetched.url, fetched.charset), fetched.url)
    source = document_url(page.url, fetched.url)
    metadata = {**page.metadata(), "url": source}
    if entry is not None:
        metadata["title"] = page.title or entry.title
        metadata["published"] = page.published or entry.published
    article = make_article(source, page.text, **metadata)
    return LoadedFile([article], [f"{source}: {warning}" for warning in page.warnings])


def document_url(canonical: str | None, fetched_url: str) -> str:
    """The page's canonical URL when it is http(s) on the host that served the page,
    else the URL it was fetched from. A canonical URL on another host is not taken: a
    page could name another site's article there and replace that document."""
    if canonical:
        absolute = urldefrag(urljoin(fetched_url, canonical)).url
        parts, served = urlsplit(absolute), urlsplit(fetched_url)
        if parts.scheme in ("http", "https") and _host(parts.hostname) == _host(served.hostname):
            return absolute
    return fetched_url


def _host(name: str | None) -> str:
    return (name or "").lower().removeprefix("www.")


def _feed_articles(
    fetcher: Fetcher, fetched: Fetched, corpus: Corpus, report: IngestReport, progress: Progress
) -> list[Article]:
    entries = feed_entries(fetched)
    limit = corpus.settings.feed_max_entries
    if len(entries) > limit:
        report.skipped.append(
            f"{fetched.url}: {len(entries) - limit} more entries not fetched "
            f"(feed_max_entries={limit})"
        )
    entries = entries[:limit]
    report.files_total = len(entries)
    articles: dict[str, Article] = {}
    for entry in entries:
        report.files_seen += 1
        try:
            loaded = _entry_file(fetcher, entry)
        except InputError as exc:  # one entry's page, never the whole feed
            reason = exc.reason if isinstance(exc, LoaderError) else str(exc)
            report.skipped.append(f"{entry.link or entry.title or 'an entry'}: {reason}")
            continue
        finally:
            progress(report)
        report.skipped.extend(loaded.warnings)
        for article in loaded.articles:  # two entries may lead to one page
            articles.setdefault(article.source, article)
    return list(articles.values())


def _entry_file(fetcher: Fetcher, entry: FeedEntry) -> LoadedFile:
    if entry.link is None:
        raise FetchError(entry.title or "an entry", "the feed entry has no link")
    loaded = page_file(fetcher.get(entry.link), entry)
    undated = any(article.published is None for article in loaded.articles)
    if undated and entry.raw_date and entry.published is None:
        loaded.warnings.append(f"{entry.link}: publication date '{entry.raw_date}' not readable")
    return loaded
