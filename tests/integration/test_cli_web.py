"""`rag ingest` with URLs and feeds, as a shell runs it, against the loopback news site.

The CLI is a local user's own command: it fetches from loopback without any allow-list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.api_server import run_rag
from tests.web_server import ARTICLE_PATH, WebSite

pytestmark = pytest.mark.integration


def test_ingest_takes_page_urls_and_feeds_in_one_run(tmp_path: Path, web_site: WebSite) -> None:
    data_dir = tmp_path / "data"
    article, feed = web_site.url(ARTICLE_PATH), web_site.url("/feeds/rss.xml")
    done = run_rag("ingest", article, "--feed", feed, "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    # The feed's tunnel entry is the article already ingested; its lifeboat entry is gone.
    assert (report["files_seen"], report["documents_added"], report["documents_unchanged"]) == (
        4,
        2,
        1,
    )
    assert report["skipped"] == [
        f"{web_site.url('/news/2024/03/lifeboat-station')}: the server answered 404"
    ]
    listed = json.loads(run_rag("docs", "list", "--json", data_dir=data_dir).stdout)
    assert sorted(d["source"] for d in listed) == [
        web_site.url("/news/2024/03/ferry-timetable"),
        article,
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://127.0.0.1/story.txt", "only http:// and https:// URLs can be fetched"),
        ("{closed}/story", "cannot be fetched (ConnectError"),
        ("{base}/hop/1", "more than 5 redirects"),
    ],
    ids=["scheme", "unreachable", "redirects"],
)
def test_a_url_that_cannot_be_ingested_is_one_line_and_exit_code_2(
    tmp_path: Path, web_site: WebSite, target: str, message: str
) -> None:
    url = target.format(base=web_site.base_url, closed=web_site.closed_url)
    done = run_rag("ingest", url, data_dir=tmp_path / "data")
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
