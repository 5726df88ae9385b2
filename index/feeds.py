"""RSS and Atom feeds: which fetched resource is one, and the entries it lists.

feedparser only ever parses bytes already fetched (by index.fetch, through its limits
and guard): given a string it may fetch a URL or open a file on its own.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from rag.errors import FetchError

from .dates import normalise_published
from .fetch import Fetched
from .html import HTML_TYPES

FEED_TYPES = frozenset(
    ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml")
)
# A feed served as text/xml or application/octet-stream shows its root element early.
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")
_SNIFF_BYTES = 2048


@dataclass(frozen=True)
class FeedEntry:
    """One entry: the page it links to, with what the feed says of it."""

    link: str | None
    title: str | None
    published: str | None  # ISO (index.dates), None when the feed gives no readable date
    raw_date: str | None  # the date as the feed writes it, to name an unreadable one


def is_feed(fetched: Fetched) -> bool:
    if fetched.media_type in FEED_TYPES:
        return True
    if fetched.media_type in HTML_TYPES:
        return False
    return _FEED_ROOT.search(fetched.data[:_SNIFF_BYTES]) is not None


def feed_entries(fetched: Fetched) -> list[FeedEntry]:
    """Every entry of the feed, in its order; FetchError when it is no RSS or Atom feed."""
    import feedparser  # imported here: only feeds need it

    headers = {"content-location": fetched.url, "content-type": fetched.media_type}
    if fetched.charset:
        headers["content-type"] += f"; charset={fetched.charset}"
    parsed = feedparser.parse(io.BytesIO(fetched.data), response_headers=headers)
    if not parsed.version and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise FetchError(fetched.url, f"not an RSS or Atom feed ({reason})")
    return [_entry(entry, fetched.url) for entry in parsed.entries]


def _entry(entry: Any, feed_url: str) -> FeedEntry:
    link = entry.get("link")
    raw_date = entry.get("published") or entry.get("updated")
    return FeedEntry(
        link=urljoin(feed_url, link.strip()) if link else None,
        title=(entry.get("title") or "").strip() or None,
        published=normalise_published(raw_date),
        raw_date=raw_date,
    )
