"""Web pages and dates in files, without a server: what a page's bytes become, how a
web document is named, and which publication dates are read (and which are refused)."""

from __future__ import annotations

import json

import pytest

from index.html import MAIN_TEXT_MISSING, html_text, read_page
from index.loaders import load_bytes
from index.web import document_url
from tests.web_server import BOILERPLATE, STORY, WEB_DATA

pytestmark = pytest.mark.unit

MAX = 10 * 1024 * 1024
SITE = "https://herald.example"
ISO_TIME = "2005-03-14T09:30:00+00:00"


def _saved(name: str) -> bytes:
    return (WEB_DATA / name).read_bytes().replace(b"{{BASE}}", SITE.encode())


def test_the_saved_article_yields_its_story_and_metadata_only() -> None:
    page = read_page(html_text(_saved("article.html"), "a.html"), "a.html")
    assert page.text.split("\n") == STORY
    assert [phrase for phrase in BOILERPLATE if phrase in page.text] == []
    assert page.metadata() == {
        "title": "Harbour tunnel opens after six years of work",
        "url": f"{SITE}/news/2024/03/larkspur-harbour-tunnel-opens",
        "published": "2024-03-12",
        "author": "Maren Holloway",
        "site": "The Coastal Herald",
    }
    assert page.warnings == []


def test_an_html_file_keeps_its_path_as_source_and_its_canonical_url_as_url() -> None:
    [article] = load_bytes(_saved("school.html"), "local/school.html", MAX).articles
    assert article.source == "local/school.html"
    assert article.url == f"{SITE}/news/2024/03/school-roof"
    assert (article.author, article.published) == ("Tomas Reyne", "2024-03-14")
    assert "Join the conversation" not in article.text and "cookies" not in article.text


@pytest.mark.parametrize(
    "text",
    ["<p>“Déjà vu” — 5 €</p>", "<p>Prix : 5 €, « cher »</p>", "<p>Ça coûte 3 €</p>"],
)
def test_a_declared_windows_1252_charset_beats_a_guess(text: str) -> None:
    data = text.encode("cp1252")
    assert html_text(data, "p.html", "windows-1252") == text
    assert html_text(data, "p.html", "ISO-8859-1") == text  # means windows-1252 on the web
    meta = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
    assert html_text(meta + data, "p.html") == meta.decode() + text


def test_a_wrong_or_unknown_declaration_falls_back_to_guessing() -> None:
    utf8 = "<p>Путін та Кім Чен Ин підписали угоду.</p>".encode()
    assert html_text(utf8, "p.html", "no-such-charset") == utf8.decode()
    assert html_text(b"\xef\xbb\xbf" + utf8, "p.html", "windows-1252") == utf8.decode()  # BOM
    cp1252 = "<p>Le café coûte 3 €, dit-il.</p>".encode("cp1252")
    assert "€" in html_text(cp1252, "p.html", "utf-8")  # not UTF-8: guessed instead


def test_a_page_with_no_main_text_is_kept_whole_with_a_warning() -> None:
    depth = 50_000  # past what lxml parses: trafilatura finds nothing
    html = (
        b'<html><head><meta property="article:published_time" content="last Tuesday"></head>'
        + b"<body>"
        + b"<div>" * depth
        + b"The lantern parade crossed the old town."
        + b"</div>" * depth
        + b"</body></html>"
    )
    loaded = load_bytes(html, "deep.html", MAX)
    assert loaded.articles[0].text == "The lantern parade crossed the old town."
    assert loaded.articles[0].published is None
    assert loaded.warnings == [
        f"deep.html: {MAIN_TEXT_MISSING}",
        "deep.html: publication date 'last Tuesday' not readable",
    ]


@pytest.mark.parametrize(
    ("canonical", "fetched", "expected"),
    [
        ("https://herald.example/story", "https://herald.example/story?utm=rss", "https://herald.example/story"),
        ("/story#top", "https://herald.example/amp/story", "https://herald.example/story"),
        ("https://www.herald.example/story", "https://herald.example/s/1", "https://www.herald.example/story"),
        ("https://other.example/their-story", "https://herald.example/s/1", "https://herald.example/s/1"),
        ("javascript:alert(1)", "https://herald.example/s/1", "https://herald.example/s/1"),
        (None, "https://herald.example/s/1", "https://herald.example/s/1"),
    ],
    ids=["same-host", "relative", "www", "other-host", "not-http", "none"],
)  # fmt: skip
def test_a_web_document_is_named_by_its_canonical_url_on_its_own_host(
    canonical: str | None, fetched: str, expected: str
) -> None:
    assert document_url(canonical, fetched) == expected


@pytest.mark.parametrize(
    ("text", "published"),
    [
        ("Tunnel opens\nDate: 14 March 2005\n\nThe tunnel opened.", "2005-03-14"),
        ("# Tunnel opens\n\nBy: M. Holloway\ndate:2005-03-14T09:30Z\n\nBody.", ISO_TIME),
        ("Tunnel opens\n\nThe tunnel opened.\nDate: 14 March 2005", "2005-03-14"),
        ("A\nB\nC\nD\nE\nDate: 14 March 2005", None),  # past the first five lines: text
        ("Tunnel opens\nThe date: 14 March 2005 is when it opened.", None),
    ],
    ids=["txt", "md-iso", "third-line", "too-late", "not-a-date-line"],
)  # fmt: skip
def test_a_leading_date_line_sets_the_date_and_stays_in_the_text(
    text: str, published: str | None
) -> None:
    name = "story.md" if text.startswith("#") else "story.txt"
    loaded = load_bytes(text.encode(), name, MAX)
    assert loaded.articles[0].published == published
    assert loaded.articles[0].text == text
    assert loaded.warnings == []


def test_an_unreadable_date_line_gives_no_date_and_a_warning() -> None:
    loaded = load_bytes(b"Tunnel opens\nDate: sometime in spring\n\nBody.", "s.txt", MAX)
    assert loaded.articles[0].published is None
    assert loaded.warnings == ["s.txt: publication date 'sometime in spring' not readable"]


def test_jsonl_dates_are_normalised_and_unreadable_ones_named() -> None:
    records = [
        {"text": "One.", "published": "14 March 2005", "author": "M. Holloway", "site": "Herald"},
        {"text": "Two.", "published": "Tue, 15 Mar 2005 10:00:00 GMT"},
        {"text": "Three.", "published": "yesterday"},
        {"text": "Four.", "published": "2005"},  # a year alone is no date
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    loaded = load_bytes(data, "feed.jsonl", MAX)
    assert [a.published for a in loaded.articles] == [
        "2005-03-14",
        "2005-03-15T10:00:00+00:00",
        None,
        None,
    ]
    assert (loaded.articles[0].author, loaded.articles[0].site) == ("M. Holloway", "Herald")
    assert loaded.warnings == [
        "feed.jsonl#3: publication date 'yesterday' not readable",
        "feed.jsonl#4: publication date '2005' not readable",
    ]
