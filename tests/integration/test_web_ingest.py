"""Web pages and feeds ingested from a real HTTP server on loopback (tests/web_server.py)
into real embedded Chroma: what is stored, what is named, and what is refused.

Fetches go through the guard with only 127.0.0.0/8 allowed, as the API would with that
setting, unless a test says otherwise; the suite's network guard fails any test that
tries to connect off this machine."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.fetch import Fetcher, FetchLimits
from index.netguard import NetGuard
from index.web import ingest_url, page_file
from rag.adapters.embedders import Embedder
from rag.errors import (
    FetchError,
    FetchTimeoutError,
    FetchTooLargeError,
    InvalidUrlError,
    UrlRefusedError,
)
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from rag.types import IngestReport
from tests.web_server import ARTICLE_PATH, BOILERPLATE, STORY, WebSite

pytestmark = pytest.mark.integration

LOOPBACK = ["127.0.0.0/8"]
DEADLINE_S = 1.5


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"fetch_deadline_s": DEADLINE_S, "fetch_max_mb": 1.0, "fetch_max_redirects": 3}
    )


@pytest.fixture
def corpus(web_settings: Settings, embedder: Embedder) -> Iterator[Corpus]:
    corpus = Corpus(web_settings, embedder)
    yield corpus
    corpus.close()


def _stored_text(corpus: Corpus) -> str:
    return "\n".join(c.text for c in corpus.manifest.all_chunks())


def test_a_news_page_is_stored_as_its_story_alone_with_its_metadata(
    corpus: Corpus, web_site: WebSite
) -> None:
    url = web_site.url(ARTICLE_PATH)
    report = ingest_url(corpus, url, allow_networks=LOOPBACK)
    assert (report.documents_added, report.files_total, report.files_seen) == (1, 1, 1)
    assert report.skipped == []
    [doc] = corpus.manifest.documents()
    assert doc.source == url
    assert doc.title == "Harbour tunnel opens after six years of work"
    assert doc.published == "2024-03-12"
    assert corpus.manifest.article_text(url) == "\n".join(STORY)
    stored = _stored_text(corpus)  # every chunk: what retrieval can return and cite
    assert [phrase for phrase in BOILERPLATE if phrase in stored] == []
    with Fetcher(FetchLimits.of(corpus.settings)) as fetcher:
        [article] = page_file(fetcher.get(url)).articles
    assert (article.author, article.site) == ("Maren Holloway", "The Coastal Herald")
    assert article.url == url


def test_a_redirect_is_followed_and_the_page_is_named_by_its_canonical_url(
    corpus: Corpus, web_site: WebSite
) -> None:
    report = ingest_url(corpus, web_site.url("/go/tunnel"), allow_networks=LOOPBACK)
    assert report.documents_added == 1
    assert "/news/tunnel.html?utm_source=rss" in web_site.requests  # where it was served
    assert [d.source for d in corpus.manifest.documents()] == [web_site.url(ARTICLE_PATH)]
    again = ingest_url(corpus, web_site.url(ARTICLE_PATH), allow_networks=LOOPBACK)
    assert (again.documents_added, again.documents_unchanged) == (0, 1)  # one story, one document


def test_a_windows_1252_page_declared_in_its_header_is_decoded_right(
    corpus: Corpus, web_site: WebSite
) -> None:
    ingest_url(corpus, web_site.url("/world/cp1252"), allow_networks=LOOPBACK)
    [doc] = corpus.manifest.documents()
    assert doc.source == web_site.url("/monde/prix-du-pain")
    assert doc.title == "Le prix du pain dépasse 2 € à Lyon"
    text = corpus.manifest.article_text(doc.source) or ""
    assert "Le prix moyen d’une baguette a atteint 2,05 € à Lyon en février" in text
    assert "« Nous n’avons pas le choix : la farine et l’électricité ont doublé »" in text
    assert "Accueil" not in text and "Tous droits réservés" not in text


@pytest.mark.parametrize(
    ("path", "error", "message"),
    [
        ("/hop/1", FetchError, "more than 3 redirects"),
        ("/drip", FetchTimeoutError, f"did not arrive within {DEADLINE_S:g}s"),
        ("/huge", FetchTooLargeError, "larger than the 1 MB fetch limit"),
        ("/news/gone", FetchError, "the server answered 404"),
    ],
    ids=["redirect-chain", "never-ending", "too-large", "not-found"],
)
def test_a_page_that_cannot_be_fetched_fails_clearly_and_stores_nothing(
    corpus: Corpus, web_site: WebSite, path: str, error: type[Exception], message: str
) -> None:
    started = time.monotonic()
    with pytest.raises(error, match=message) as info:
        ingest_url(corpus, web_site.url(path), allow_networks=LOOPBACK)
    assert time.monotonic() - started < DEADLINE_S + 2.0  # the deadline holds, with slack
    assert web_site.url(path) in str(info.value)
    assert corpus.manifest.documents() == []


def test_an_rss_feed_ingests_its_entries_with_their_dates_once(
    corpus: Corpus, web_site: WebSite
) -> None:
    seen: list[int] = []  # the report is one object, updated: its count at each call

    def progress(report: IngestReport) -> None:
        seen.append(report.files_seen)

    report = ingest_url(
        corpus, web_site.url("/feeds/rss.xml"), allow_networks=LOOPBACK, progress=progress
    )
    assert (report.files_total, report.files_seen, report.documents_added) == (3, 3, 2)
    assert seen[:3] == [1, 2, 3]  # progress after every entry, then while storing
    assert report.skipped == [
        f"{web_site.url('/news/2024/03/lifeboat-station')}: the server answered 404"
    ]
    docs = {d.source: d for d in corpus.manifest.documents()}
    ferry = docs[web_site.url("/news/2024/03/ferry-timetable")]
    assert ferry.published == "2024-03-13T07:00:00+00:00"  # the page has none: the entry's
    assert ferry.title == "Winter ferry timetable cuts crossings to the islands"
    assert docs[web_site.url(ARTICLE_PATH)].published == "2024-03-12"  # the page's own
    assert "Most read" not in (corpus.manifest.article_text(ferry.source) or "")
    second = ingest_url(corpus, web_site.url("/feeds/rss.xml"), allow_networks=LOOPBACK)
    assert (second.documents_added, second.documents_unchanged, second.chunks_embedded) == (0, 2, 0)


def test_an_atom_feed_known_by_its_content_ingests_and_skips_an_unreachable_entry(
    corpus: Corpus, web_site: WebSite
) -> None:
    report = ingest_url(corpus, web_site.url("/feeds/atom.xml"), allow_networks=LOOPBACK)
    assert (report.files_total, report.documents_added) == (3, 2)
    [skipped] = report.skipped
    assert skipped.startswith(f"{web_site.closed_url}/partner/story: cannot be fetched")
    assert "Connection refused" in skipped
    docs = {d.source: d for d in corpus.manifest.documents()}
    school = docs[web_site.url("/news/2024/03/school-roof")]
    assert school.published == "2024-03-14"
    assert "Our poor kids" not in (corpus.manifest.article_text(school.source) or "")
    assert docs[web_site.url("/monde/prix-du-pain")].title == "Le prix du pain dépasse 2 € à Lyon"
    second = ingest_url(corpus, web_site.url("/feeds/atom.xml"), allow_networks=LOOPBACK)
    assert (second.documents_added, second.documents_changed) == (0, 0)


def test_feed_entries_pointing_inside_the_network_are_skipped_unfetched(
    corpus: Corpus, web_site: WebSite
) -> None:
    report = ingest_url(corpus, web_site.url("/feeds/hostile.xml"), allow_networks=LOOPBACK)
    assert (report.files_total, report.documents_added) == (3, 1)
    assert [line.split(": ", 1)[0] for line in report.skipped] == [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://10.0.0.5:8080/admin",
    ]
    assert "cloud metadata" in report.skipped[0] and "private" in report.skipped[1]
    assert [d.source for d in corpus.manifest.documents()] == [
        web_site.url("/news/2024/03/school-roof")
    ]


def test_a_feed_is_read_up_to_its_entry_limit(
    web_settings: Settings, embedder: Embedder, web_site: WebSite
) -> None:
    corpus = Corpus(web_settings.model_copy(update={"feed_max_entries": 1}), embedder)
    try:
        report = ingest_url(corpus, web_site.url("/feeds/rss.xml"), allow_networks=LOOPBACK)
    finally:
        corpus.close()
    assert (report.files_total, report.files_seen, report.documents_added) == (1, 1, 1)
    assert report.skipped == [
        f"{web_site.url('/feeds/rss.xml')}: 2 more entries not fetched (feed_max_entries=1)"
    ]


def test_asking_for_a_feed_or_a_page_checks_what_the_url_holds(
    corpus: Corpus, web_site: WebSite
) -> None:
    with pytest.raises(FetchError, match="not an RSS or Atom feed"):
        ingest_url(corpus, web_site.url(ARTICLE_PATH), feed=True, allow_networks=LOOPBACK)
    with pytest.raises(FetchError, match="is application/rss\\+xml, not a web page"):
        ingest_url(corpus, web_site.url("/feeds/rss.xml"), feed=False, allow_networks=LOOPBACK)
    assert corpus.manifest.documents() == []


def test_a_paywalled_page_keeps_its_free_part_and_says_so(
    corpus: Corpus, web_site: WebSite
) -> None:
    report = ingest_url(corpus, web_site.url("/paywall/budget-row"), allow_networks=LOOPBACK)
    assert report.skipped == [
        f"{web_site.url('/paywall/budget-row')}: the page marks itself as paywalled: "
        "only its free part was kept"
    ]
    text = corpus.manifest.article_text(web_site.url("/paywall/budget-row")) or ""
    assert "reserves will fall below £20m" in text
    assert "Subscribe" not in text and "Log in" not in text


def test_loopback_is_refused_unless_allowed_and_nothing_is_requested(
    corpus: Corpus, web_site: WebSite
) -> None:
    asked = len(web_site.requests)
    with pytest.raises(UrlRefusedError, match=r"127\.0\.0\.1 is a loopback address"):
        ingest_url(corpus, web_site.url(ARTICLE_PATH), allow_networks=[])
    with pytest.raises(UrlRefusedError):
        ingest_url(corpus, web_site.url(ARTICLE_PATH), allow_networks=["10.0.0.0/8"])
    with pytest.raises(InvalidUrlError, match="credentials"):
        ingest_url(corpus, web_site.url(ARTICLE_PATH).replace("//", "//me@"), allow_networks=[])
    assert len(web_site.requests) == asked
    assert corpus.manifest.documents() == []
    ingest_url(corpus, web_site.url(ARTICLE_PATH), allow_networks=None)  # the CLI's way
    assert len(corpus.manifest.documents()) == 1


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::1]:{port}/news/2024/03/ferry-timetable", "::1 is a loopback address"),
        ("http://10.0.0.7/internal", "private"),
        ("http://[::ffff:192.168.0.1]/", "private"),
    ],
    ids=["metadata", "ipv6-loopback", "private", "mapped-private"],
)
def test_a_redirect_out_of_the_allowed_networks_is_refused(
    corpus: Corpus, web_site: WebSite, target: str, reason: str
) -> None:
    port = web_site.base_url.rsplit(":", 1)[1]
    start = web_site.url(f"/redirect?to={target.format(port=port)}")
    with pytest.raises(UrlRefusedError, match=reason):
        ingest_url(corpus, start, allow_networks=LOOPBACK)
    assert corpus.manifest.documents() == []


def test_a_guarded_fetch_connects_to_the_checked_address_under_the_host_name(
    web_settings: Settings, web_site: WebSite
) -> None:
    port = web_site.base_url.rsplit(":", 1)[1]
    url = f"http://localhost:{port}/news/2024/03/ferry-timetable"
    guard = NetGuard(["127.0.0.0/8", "::1/128"])  # localhost may also resolve to ::1
    with Fetcher(FetchLimits.of(web_settings), guard) as fetcher:
        fetched = fetcher.get(url)
    assert (fetched.url, fetched.media_type) == (url, "text/html")
    assert web_site.hosts[-1] == f"localhost:{port}"  # connected by IP, named by host


def test_an_html_file_on_disk_is_read_the_same_way(corpus: Corpus, tmp_path: Path) -> None:
    from index.ingest import ingest_paths
    from tests.web_server import WEB_DATA

    page = (WEB_DATA / "article.html").read_bytes().replace(b"{{BASE}}", b"https://herald.example")
    (tmp_path / "tunnel.html").write_bytes(page)
    report = ingest_paths(corpus, [tmp_path / "tunnel.html"])
    assert report.documents_added == 1 and report.skipped == []
    assert corpus.manifest.article_text("tunnel.html") == "\n".join(STORY)
