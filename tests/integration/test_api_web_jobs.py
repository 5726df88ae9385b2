"""Web pages and feeds ingested as jobs over real HTTP: `rag serve` in a subprocess
fetching from the loopback news site (tests/web_server.py), with and without
RAG_URL_ALLOW_NETWORKS allowing loopback. What the guard refuses is refused before the
202, with the reason; what fails while fetching is a failed job with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api_server import ServedAPI, assert_api_error, serve_samples
from tests.integration.test_api_jobs import wait_job
from tests.web_server import ARTICLE_PATH, WebSite

pytestmark = pytest.mark.integration

API_KEY = "web-jobs-key"
LOOPBACK_ALLOWED = {"RAG_API_KEY": API_KEY, "RAG_URL_ALLOW_NETWORKS": '["127.0.0.0/8"]'}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    with serve_samples(tmp_path_factory.mktemp("web-jobs") / "data", LOOPBACK_ALLOWED) as served:
        yield served


@pytest.fixture(scope="module")
def guarded_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    """The default: no network beyond the public internet is allowed."""
    env = {"RAG_API_KEY": API_KEY}
    with serve_samples(tmp_path_factory.mktemp("web-guarded") / "data", env) as served:
        yield served


@pytest.fixture
def client(api: ServedAPI) -> Iterator[httpx.Client]:
    with api.client() as c:
        yield c


def start(client: httpx.Client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/v1/documents", json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == response.json()["url"]
    return response.json()


def _documents(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {d["source"]: d for d in client.get("/v1/documents").json()}


def test_a_page_is_a_job_named_by_its_canonical_url(
    client: httpx.Client, web_site: WebSite
) -> None:
    # The story's second address: the page's canonical link names the first.
    accepted = start(client, {"url": web_site.url("/news/tunnel.html")})
    job = wait_job(client, accepted["url"])
    assert job["status"] == "done", job
    assert (job["kind"], job["inputs"]) == ("url", [web_site.url("/news/tunnel.html")])
    assert (job["files_done"], job["files_total"], job["report"]["documents_added"]) == (1, 1, 1)
    document = _documents(client)[web_site.url(ARTICLE_PATH)]
    assert document["title"] == "Harbour tunnel opens after six years of work"
    assert document["chunks"] > 0
    question = "Who drove the first car through the Larkspur tunnel?"
    answer = client.post("/v1/ask", json={"question": question}).json()
    assert "Idris Penhallow" in answer["answer"], answer
    assert {c["source"] for c in answer["citations"]} == {web_site.url(ARTICLE_PATH)}


def test_a_feed_is_a_job_over_its_entries(client: httpx.Client, web_site: WebSite) -> None:
    job = wait_job(client, start(client, {"feed": web_site.url("/feeds/rss.xml")})["url"])
    assert job["status"] == "done", job
    assert job["kind"] == "feed" and job["files_total"] == job["files_done"] >= 3
    sources = _documents(client)
    assert web_site.url("/news/2024/03/ferry-timetable") in sources
    missing = web_site.url("/news/2024/03/lifeboat-station")  # an entry whose page is gone
    assert missing not in sources
    assert any(line.startswith(missing) for line in job["skipped"]), job["skipped"]


def test_what_fails_while_fetching_fails_the_job_with_the_reason(
    client: httpx.Client, web_site: WebSite
) -> None:
    job = wait_job(client, start(client, {"url": web_site.closed_url + "/news/gone"})["url"])
    assert job["status"] == "failed" and job["report"] is None
    assert web_site.closed_url in job["error"], job["error"]
    not_found = wait_job(client, start(client, {"url": web_site.url("/no/such/page")})["url"])
    assert not_found["status"] == "failed" and "404" in not_found["error"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"url": "ftp://127.0.0.1/news.txt"}, 400, "only http:// and https://"),
        ({"url": "http://editor:secret@127.0.0.1/"}, 400, "credentials"),
        ({"url": "http://10.1.2.3/intranet"}, 403, "10.1.2.3 is a private"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, 403, "cloud metadata"),
        ({"url": ""}, 422, "body.url"),
        ({"url": 42}, 422, "body.url"),
        ({"feed": "http://127.0.0.1/", "url": "http://127.0.0.1/"}, 422, "extra"),
        ({"page": "http://127.0.0.1/"}, 422, "body.url: field required"),
        (["http://127.0.0.1/"], 422, "body"),
    ],
)
def test_urls_that_cannot_be_fetched_are_refused_before_a_job(
    client: httpx.Client, body: object, status: int, fragment: str
) -> None:
    before = len(client.get("/v1/jobs", params={"limit": 200}).json())
    assert_api_error(client.post("/v1/documents", json=body), status, fragment)
    assert len(client.get("/v1/jobs", params={"limit": 200}).json()) == before


def test_malformed_and_oversized_json_bodies(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    response = client.post("/v1/documents", content=b'{"url": ', headers=headers)
    assert assert_api_error(response, 400, "not valid JSON")["code"] == "json_invalid"
    huge = b'{"url": "http://127.0.0.1/' + b"a" * (3 * 1024 * 1024) + b'"}'
    assert_api_error(client.post("/v1/documents", content=huge, headers=headers), 413, "larger")


def test_without_an_allowed_network_a_loopback_page_is_refused_at_once(
    guarded_api: ServedAPI, web_site: WebSite
) -> None:
    with guarded_api.client() as client:
        for body in ({"url": web_site.url(ARTICLE_PATH)}, {"feed": web_site.url("/feeds/rss.xml")}):
            error = assert_api_error(client.post("/v1/documents", json=body), 403)
            assert error["code"] == "url_refused"
            assert "127.0.0.1 is a loopback address" in error["message"]
            assert "RAG_URL_ALLOW_NETWORKS" in error["message"]
        assert client.get("/v1/jobs").json() == []
        assert web_site.url(ARTICLE_PATH) not in _documents(client)
