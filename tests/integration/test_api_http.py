"""The HTTP API over real HTTP: `rag serve` in a subprocess, real Chroma, the real reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_server import (
    QUESTION,
    ServedAPI,
    assert_api_error,
    copy_index,
    serve,
)
from tests.conftest import SAMPLES
from tests.integration.conftest import READER_MODEL
from tests.sse import sse_events

pytestmark = pytest.mark.integration

API_KEY = "test-key-6f1d"
UPLOADED = (
    "Lantern festival sets a record\n\n"
    "The Zephyr Lantern Festival in Kaunas drew 41,000 visitors in 2023, "
    "its organisers said on Monday.\n"
)
ROUTES = [
    ("POST", "/v1/ask", {"json": {"question": QUESTION}}),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "hi"}]}}),
    ("GET", "/v1/models", {}),
    ("GET", "/v1/models/news-rag", {}),
    ("GET", "/v1/documents", {}),
    ("POST", "/v1/documents", {"files": {"file": ("a.txt", b"Some text.\n")}}),
    ("DELETE", "/v1/documents/001_a4b0b9614c74e4e8.txt", {}),
]


@pytest.fixture(scope="module")
def api(
    index: Path, tmp_path_factory: pytest.TempPathFactory, llm_server: str
) -> Iterator[ServedAPI]:
    """Extractive by default, the real local reader server behind `generator: local`, a key set."""
    env = {
        "RAG_API_KEY": API_KEY,
        "RAG_LLM_BASE_URL": llm_server,
        "RAG_LLM_MODEL": READER_MODEL,
        "RAG_MAX_FILE_MB": "1",
    }
    with serve(copy_index(index, tmp_path_factory.mktemp("api") / "data"), env) as served:
        yield served


@pytest.fixture
def client(api: ServedAPI) -> Iterator[httpx.Client]:
    with api.client() as c:
        yield c


def _assert_grounded(answer: dict[str, Any]) -> None:
    assert not answer["refused"]
    assert "Kim Jong Gyu" in answer["answer"] and "Rudenko" in answer["answer"]
    assert answer["citations"]
    for citation in answer["citations"]:
        text = (SAMPLES / citation["source"]).read_text(encoding="utf-8")
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert f"[{citation['n']}]" in answer["answer"]


def test_ask_returns_an_answer_with_verified_citations(client: httpx.Client) -> None:
    response = client.post("/v1/ask", json={"question": QUESTION})
    assert response.status_code == 200, response.text
    answer = response.json()
    _assert_grounded(answer)
    assert answer["generator"] == "extractive"
    assert {"retrieve", "generate", "total"} <= set(answer["timings_ms"])


def test_ask_with_the_local_llm(client: httpx.Client) -> None:
    response = client.post("/v1/ask", json={"question": QUESTION, "generator": "local"})
    assert response.status_code == 200, response.text
    answer = response.json()
    _assert_grounded(answer)
    assert answer["generator"] == "local"
    assert "unavailable" not in (answer["notice"] or "")
    metrics = client.get("/metrics").text
    tokens = next(ln for ln in metrics.splitlines() if ln.startswith("rag_generated_tokens_total"))
    assert float(tokens.split()[-1]) > 0


def test_local_stream_names_the_sources_first_then_only_the_verified_answer(
    client: httpx.Client,
) -> None:
    body = {"question": QUESTION, "generator": "local"}
    events = sse_events(client.post("/v1/ask", params={"stream": "true"}, json=body).text)
    (name, reading), (then, first) = events[:2]
    done = events[-1][1]["answer"]
    assert name == "reading" and then == "token"
    assert "001_a4b0b9614c74e4e8.txt" in reading["sources"] and reading["text"].startswith("Read")
    assert "Rudenko" in done["answer"] and done["answer"].startswith(first["text"])
    assert [n for n, _ in events].count("reading") == 1
    assert "".join(data["text"] for name, data in events if name == "token") == done["answer"]
    assert done["citations"] and all(c["quote"] for c in done["citations"])


@pytest.mark.parametrize("how", ["query", "accept"])
def test_ask_streams_server_sent_events(client: httpx.Client, how: str) -> None:
    body = {"question": QUESTION}
    if how == "query":
        response = client.post("/v1/ask", params={"stream": "true"}, json=body)
    else:
        response = client.post("/v1/ask", json=body, headers={"Accept": "text/event-stream"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    names = [name for name, _ in events]
    assert names[-2:] == ["citations", "done"] and set(names[:-1]) == {"token", "citations"}
    done = events[-1][1]["answer"]
    _assert_grounded(done)
    assert "".join(data["text"] for name, data in events if name == "token") == done["answer"]
    assert events[-2][1]["citations"] == done["citations"]


def test_ask_only_searches_the_named_sources(client: httpx.Client) -> None:
    source = "000_aff0d55bc72581f4.txt"
    response = client.post("/v1/ask", json={"question": QUESTION, "sources": [source]})
    assert response.status_code == 200, response.text
    citations = response.json()["citations"]
    assert citations and {c["source"] for c in citations} == {source}


@pytest.mark.parametrize(("method", "path", "kwargs"), ROUTES)
@pytest.mark.parametrize(
    "authorization", [None, f"Bearer {API_KEY}x", f"Basic {API_KEY}", "Bearer"]
)
def test_every_v1_route_needs_the_key(
    api: ServedAPI, method: str, path: str, kwargs: dict[str, Any], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.request(method, f"{api.url}{path}", headers=headers, timeout=30, **kwargs)
    assert assert_api_error(response, 401, "API key")["code"] == "invalid_api_key"
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_key_is_checked_before_the_body_is_read(api: ServedAPI) -> None:
    too_big = {"file": ("big.txt", b"a" * (3 * 1024 * 1024))}
    response = httpx.post(f"{api.url}/v1/documents", files=too_big, timeout=30)
    assert_api_error(response, 401)
    response = httpx.post(f"{api.url}/v1/ask", content=b"{not json", timeout=30)
    assert_api_error(response, 401)


def test_health_routes_are_open_and_say_nothing_more(api: ServedAPI) -> None:
    healthz = httpx.get(f"{api.url}/healthz", timeout=30)
    readyz = httpx.get(f"{api.url}/readyz", timeout=30)
    metrics = httpx.get(f"{api.url}/metrics", timeout=30)
    assert healthz.status_code == readyz.status_code == metrics.status_code == 200
    assert healthz.json() == {"status": "ok"}
    assert readyz.json() == {"ready": True, "store": True, "generator": True}
    for response in (healthz, readyz, metrics):
        assert API_KEY not in response.text and str(api.data_dir) not in response.text


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"question": ""}, 422, "at least 1 character"),
        ({"question": " \n\t "}, 422, "question: must not be blank"),
        ({"question": "\x00\x07"}, 400, "question is empty"),
        ({"question": "x" * 4001}, 422, "at most 4000"),
        ({"question": QUESTION, "top_k": 0}, 422, "top_k"),
        ({"question": QUESTION, "top_k": 51}, 422, "top_k"),
        ({"question": QUESTION, "top_k": "five"}, 422, "top_k"),
        ({"question": QUESTION, "generator": "gpt-9"}, 422, "generator"),
        ({"question": 42}, 422, "question"),
        ({"question": QUESTION, "history": "earlier"}, 422, "history"),
        ({"question": QUESTION, "history": [{"role": "user", "content": "q"}] * 21}, 422, "20"),
        ({"question": QUESTION, "history": [{"role": "user", "content": "q" * 8001}]}, 422, "8000"),
        ({"question": QUESTION, "history": [{"role": "robot", "content": "q"}]}, 422, "role"),
        ({"question": QUESTION, "temperature": 0}, 422, "temperature"),
        ([QUESTION], 422, "body"),
    ],
)
def test_invalid_questions_get_a_clear_4xx(
    client: httpx.Client, body: object, status: int, fragment: str
) -> None:
    assert_api_error(client.post("/v1/ask", json=body), status, fragment)


def test_malformed_and_oversized_bodies(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    assert_api_error(client.post("/v1/ask", content=b'{"question": ', headers=headers), 400, "JSON")
    huge = json.dumps(
        {"question": QUESTION, "history": [{"role": "user", "content": "q" * 3_000_000}]}
    )
    assert_api_error(client.post("/v1/ask", content=huge, headers=headers), 413, "larger than")

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit applies as bytes arrive
        yield huge.encode()

    assert_api_error(client.post("/v1/ask", content=chunked(), headers=headers), 413, "larger than")


def test_upload_list_ask_delete(client: httpx.Client) -> None:
    files = {"file": ("lanterns.md", UPLOADED.encode())}
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 201, response.text
    assert response.json()["documents_added"] == 1
    assert "lanterns.md" in {d["source"] for d in client.get("/v1/documents").json()}
    question = {"question": "How many visitors did the Zephyr Lantern Festival draw?"}
    answer = client.post("/v1/ask", json=question).json()
    assert "41,000" in answer["answer"]
    assert {c["source"] for c in answer["citations"]} == {"lanterns.md"}
    deleted = client.delete("/v1/documents/lanterns.md")
    assert deleted.status_code == 200 and deleted.json()["documents_removed"] == 1
    assert "lanterns.md" not in {d["source"] for d in client.get("/v1/documents").json()}
    after = client.post("/v1/ask", json=question).json()
    assert "lanterns.md" not in {c["source"] for c in after["citations"]}
    assert_api_error(client.delete("/v1/documents/lanterns.md"), 404, "no document")


@pytest.mark.parametrize(
    ("name", "data", "status", "fragment"),
    [
        ("big.txt", b"word " * 215_000, 413, "larger than"),  # RAG_MAX_FILE_MB=1
        ("huge.txt", b"word " * 500_000, 413, "larger than"),
        ("tool.exe", b"MZ\x90\x00", 400, "unsupported file type"),
        ("blob.txt", bytes(range(256)) * 64, 400, "binary"),
        ("empty.txt", b"", 400, "empty"),
    ],
)
def test_bad_uploads_are_refused(
    client: httpx.Client, name: str, data: bytes, status: int, fragment: str
) -> None:
    assert_api_error(client.post("/v1/documents", files={"file": (name, data)}), status, fragment)
    assert name not in {d["source"] for d in client.get("/v1/documents").json()}


def test_upload_without_a_file(client: httpx.Client) -> None:
    response = client.post("/v1/documents", data={"note": "no file"})
    assert_api_error(response, 400, "no file: send a 'file' part")


def test_unknown_routes_and_methods(client: httpx.Client) -> None:
    assert_api_error(client.get("/v1/nothing-here"), 404)
    response = client.put("/v1/ask", json={"question": QUESTION})
    assert_api_error(response, 405)
    assert response.headers["allow"] == "POST"


def test_metrics_count_requests_stages_and_latency(client: httpx.Client) -> None:
    assert client.post("/v1/ask", json={"question": QUESTION}).status_code == 200
    lines = client.get("/metrics").text.splitlines()

    def value(prefix: str) -> float:
        return sum(float(ln.split()[-1]) for ln in lines if ln.startswith(prefix))

    assert value('rag_http_requests_total{method="POST",route="/v1/ask",status="200"}') >= 1
    assert value('rag_http_request_seconds_count{method="POST",route="/v1/ask"}') >= 1
    for stage in ("retrieve", "generate"):
        assert value(f'rag_stage_seconds_count{{stage="{stage}"}}') >= 1
    assert any(ln.startswith("rag_generated_tokens_total") for ln in lines)


def test_openapi_shows_auth_and_limits(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    ask = schema["paths"]["/v1/ask"]["post"]
    assert ask["security"] == [{"bearerAuth": []}]
    assert {"401", "413", "422", "504"} <= set(ask["responses"])
    assert "security" not in schema["paths"]["/healthz"]["get"]
    request = schema["components"]["schemas"]["AskRequest"]["properties"]
    assert request["question"]["maxLength"] == 4000
    assert request["top_k"]["anyOf"][0]["maximum"] == 50
