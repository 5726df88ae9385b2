"""A web page as an article: its main text without menus, banners, comments and footers,
and its title, author, date, site and canonical URL from the page's own metadata.

Trafilatura finds the main text; only what it keeps is stored, so nothing a reader of
the page would skip can be retrieved or cited. A page where it finds none is kept whole
(BeautifulSoup's visible text), with a warning that navigation may be in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from rag.errors import LoaderError

from .dates import normalise_published
from .encoding import decode_text

HTML_TYPES = frozenset(("text/html", "application/xhtml+xml"))  # media types of a page
MAIN_TEXT_MISSING = "main text not found, page kept whole (navigation may be included)"
PAYWALLED = "the page marks itself as paywalled: only its free part was kept"
# Tags whose text a reader never sees.
_INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
_PUBLISHED_META = ("article:published_time", "datePublished", "pubdate", "date", "dc.date")
# The <meta charset> or http-equiv declaration; browsers look near the start only.
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_CHARSET_SCAN_BYTES = 4096
# schema.org's paywall marker (Google's "subscription and paywalled content" markup).
_NOT_FREE = re.compile(r""""isAccessibleForFree"\s*:\s*"?false""", re.I)


@dataclass(frozen=True)
class Page:
    """What one HTML page yields; ``warnings`` are reasons, without the page's name."""

    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    site: str | None = None
    warnings: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, str | None]:
        """The keyword arguments of ``make_article`` besides source and text."""
        fields = ("title", "url", "published", "author", "site")
        return {name: getattr(self, name) for name in fields}


def html_text(data: bytes, source: str, charset: str | None = None) -> str:
    """Decode a page: by its BOM, else the server's ``charset``, else its <meta>, else a guess."""
    if charset is None and (found := _META_CHARSET.search(data[:_CHARSET_SCAN_BYTES])):
        charset = found.group(1).decode("ascii")
    return decode_text(data, source, charset)


def read_page(html: str, source: str, url: str | None = None) -> Page:
    """The page's main text and metadata; ``url``: where it was fetched from, if it was."""
    page = _main_text(html, url) or whole_page(html, source)
    if _NOT_FREE.search(html):
        page.warnings.append(PAYWALLED)
    return page


def _main_text(html: str, url: str | None) -> Page | None:
    import trafilatura  # imported here: a second to import, and only pages need it

    doc: Any = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        # Dates from the page's markup and URL only: a date found in the running text may
        # be any date the story mentions, and a wrong date is worse than none.
        date_extraction_params={
            "original_date": True,
            "extensive_search": False,
            "max_date": date.today().isoformat(),
        },
    )
    text = _clean_lines(doc.text or "") if doc is not None else ""
    if not text:
        return None
    return Page(
        text=text,
        title=doc.title or None,
        url=doc.url or None,
        published=normalise_published(doc.date),
        author=doc.author or None,
        site=doc.sitename or None,
    )


def _clean_lines(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in text.splitlines())
    return "\n".join(ln for ln in lines if ln)


def whole_page(html: str, source: str) -> Page:
    """Every visible text of the page, for pages with no main text to find."""
    from bs4 import BeautifulSoup  # imported here: only HTML needs it

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    raw_date = _raw_published(soup)
    for tag in soup(_INVISIBLE_TAGS):
        tag.decompose()
    text = _clean_lines(soup.get_text("\n"))
    if not text:
        raise LoaderError(source, "HTML has no visible text")
    h1 = soup.find("h1")
    warnings = [MAIN_TEXT_MISSING]
    published = normalise_published(raw_date)
    if raw_date and published is None:
        warnings.append(f"publication date '{raw_date}' not readable")
    title = title or (h1.get_text(" ", strip=True) if h1 else None)
    return Page(text=text, title=title, published=published, warnings=warnings)


def _raw_published(soup: Any) -> str | None:
    for meta in soup.find_all("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key in _PUBLISHED_META and meta.get("content"):
            return str(meta["content"])
    if (tag := soup.find("time", datetime=True)) is not None:
        return str(tag["datetime"])
    return None
