"""Bad requests to the real API over HTTP, beyond those of test_api_http: each gets a
clear 4xx in the one JSON error shape (never a 500 or a stream), and whatever is still a
question gets answered.

Covers /v1/ask and /v1/chat/completions, and upload file names that try to leave the
data folder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_server import QUESTION, ServedAPI, assert_api_error, serve_samples

pytestmark = pytest.mark.integration

MEGABYTE_QUESTION = "Who exchanged the documents? " * 36_000  # about 1 MB of JSON
CONTROL_QUESTION = "\x00Who exchanged\x1b[31m the ratification\x07 documents?\x7f\u200b"
# Long enough not to be read as a follow-up that borrows the previous question.
STANDALONE = "Which vice foreign ministers exchanged the ratification documents in Moscow?"
HISTORY_TURN = {"role": "user", "content": "Tell me about the treaty. " * 300}


def _chat(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "news-rag", "messages": [{"role": "user", "content": content}], **extra}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    """Extractive only: these requests are about the edges, not the generator."""
    data_dir = tmp_path_factory.mktemp("bad-requests") / "data"
    with serve_samples(data_dir) as served:
        yield served


@pytest.fixture
def client(api: ServedAPI) -> Iterator[httpx.Client]:
    with api.client() as c:
        yield c


def _assert_error(response: httpx.Response, status: int, fragment: str) -> None:
    assert_api_error(response, status, fragment)
    assert len(response.content) < 2000  # an error names the problem, it does not echo input


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"question": MEGABYTE_QUESTION}, 422, "at most 4000"),
        ({"question": "\u200b\u2060\u200b"}, 400, "question is empty"),  # invisible only
        ({"question": None}, 422, "question"),
        ({"question": [QUESTION]}, 422, "question"),
        ({"question": {"text": QUESTION}}, 422, "question"),
        ({}, 422, "question"),
        ({"question": QUESTION, "top_k": -1}, 422, "top_k"),
        ({"question": QUESTION, "top_k": 10**30}, 422, "top_k"),
        ({"question": QUESTION, "top_k": 2.5}, 422, "top_k"),
        ({"question": QUESTION, "top_k": True}, 422, "top_k"),
        ({"question": QUESTION, "top_k": None, "generator": "LOCAL"}, 422, "generator"),
        ({"question": QUESTION, "generator": ""}, 422, "generator"),
        ({"question": QUESTION, "sources": "001_a4b0b9614c74e4e8.txt"}, 422, "sources"),
        ({"question": QUESTION, "sources": ["x"] * 101}, 422, "sources"),
        ({"question": QUESTION, "history": [{"role": "user"}]}, 422, "history"),
        ({"question": QUESTION, "history": [{"role": "user", "content": 7}]}, 422, "history"),
        ({"question": QUESTION, "history": [HISTORY_TURN] * 21}, 422, "history"),
        ("a string", 422, "body"),
        (None, 422, "body"),
    ],
    ids=lambda value: value if isinstance(value, int) else None,
)
def test_ask_rejects_with_a_clear_4xx(
    client: httpx.Client, body: object, status: int, fragment: str
) -> None:
    _assert_error(client.post("/v1/ask", json=body), status, fragment)


@pytest.mark.parametrize("stream", ["query", "accept"])
@pytest.mark.parametrize("question", ["\x00\x01\x02", "\u200b"])
def test_a_blank_question_is_refused_before_a_stream_starts(
    client: httpx.Client, stream: str, question: str
) -> None:
    body = {"question": question}
    if stream == "query":
        response = client.post("/v1/ask", params={"stream": "true"}, json=body)
    else:
        response = client.post("/v1/ask", json=body, headers={"Accept": "text/event-stream"})
    _assert_error(response, 400, "question is empty")
    _assert_error(client.post("/v1/chat/completions", json=_chat(question, stream=True)), 400, "")


def test_control_characters_are_dropped_and_the_question_answered(client: httpx.Client) -> None:
    clean = client.post("/v1/ask", json={"question": QUESTION}).json()
    for path, body in [
        ("/v1/ask", {"question": CONTROL_QUESTION}),
        ("/v1/chat/completions", _chat(CONTROL_QUESTION)),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 200, response.text
        citations = response.json()["citations"]
        assert [c["quote"] for c in citations] == [c["quote"] for c in clean["citations"]]


def test_a_long_history_is_accepted_and_changes_nothing(client: httpx.Client) -> None:
    """The most history the schemas allow is answered, and a question that stands alone
    gets the answer it gets without history (a chat client resends the whole
    conversation: 200 messages, over 1 MB; only the recent turns are read)."""
    alone = client.post("/v1/ask", json={"question": STANDALONE}).json()
    assert "Rudenko" in alone["answer"]
    history = [HISTORY_TURN] * 20
    response = client.post("/v1/ask", json={"question": STANDALONE, "history": history})
    assert response.status_code == 200, response.text
    assert response.json()["citations"] == alone["citations"]
    turns = [HISTORY_TURN, {"role": "assistant", "content": "The treaty. " * 600}] * 99
    body = {"messages": [*turns, {"role": "user", "content": STANDALONE}]}
    assert len(json.dumps(body)) > 1_000_000
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["citations"] == alone["citations"]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (_chat(MEGABYTE_QUESTION), 422, "at most 8000"),
        (_chat("   \n\t  "), 400, "question is empty"),
        (_chat("\x00\x07\x1b"), 400, "question is empty"),
        (_chat([{"type": "image_url", "image_url": {"url": "data:,"}}]), 400, "question is empty"),
        (_chat(None), 400, "question is empty"),
        (_chat(42), 422, "content"),
        (_chat([{"text": QUESTION}]), 422, "content"),
        (_chat(QUESTION, top_k=-1), 422, "top_k"),
        (_chat(QUESTION, top_k=10**30), 422, "top_k"),
        (_chat(QUESTION, top_k="five"), 422, "top_k"),
        (_chat(QUESTION, top_k=True), 422, "top_k"),
        (_chat(QUESTION, stream=[1]), 422, "stream"),
        (_chat(QUESTION, model="m" * 201), 422, "model"),
        ({"model": "news-rag", "messages": []}, 422, "messages"),
        ({"model": "news-rag"}, 422, "messages"),
        ({"model": "news-rag", "messages": QUESTION}, 422, "messages"),
        ({"messages": [{"role": "robot", "content": QUESTION}]}, 422, "role"),
        ({"messages": [{"content": QUESTION}]}, 422, "role"),
        ({"messages": [{"role": "system", "content": QUESTION}]}, 400, "from the user"),
        ({"messages": [HISTORY_TURN] * 201}, 422, "messages"),
        ([QUESTION], 422, "body"),
    ],
    ids=lambda value: value if isinstance(value, int) else None,
)
def test_chat_completions_rejects_with_a_clear_4xx(
    client: httpx.Client, body: object, status: int, fragment: str
) -> None:
    _assert_error(client.post("/v1/chat/completions", json=body), status, fragment)


def test_chat_completions_malformed_json(client: httpx.Client) -> None:
    headers = {"Content-Type": "application/json"}
    for raw in (b'{"messages": [', b'{"messages": [{"role": "user", "content": "hi"}],}'):
        response = client.post("/v1/chat/completions", content=raw, headers=headers)
        _assert_error(response, 400, "not valid JSON")
    for raw in (b"\xff\xfe not json", b"\x00" * 64):  # not text: the message may vary
        _assert_error(client.post("/v1/chat/completions", content=raw, headers=headers), 400, "")


def test_an_unknown_model_name_is_answered_by_the_assistant(client: httpx.Client) -> None:
    """OpenAI clients send a model name of their own; it chooses nothing and is echoed."""
    response = client.post("/v1/chat/completions", json=_chat(QUESTION, model="gpt-9"))
    assert response.status_code == 200, response.text
    completion = response.json()
    assert (
        completion["model"] == "gpt-9"
        and "Rudenko" in completion["choices"][0]["message"]["content"]
    )


@pytest.mark.parametrize(
    ("filename", "source"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/etc/hosts.txt", "hosts.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
    ],
)
def test_upload_names_cannot_point_outside(
    client: httpx.Client, api: ServedAPI, filename: str, source: str
) -> None:
    text = f"A note uploaded as {source} about the Zephyr Lantern Festival.\n"
    response = client.post("/v1/documents", files={"file": (filename, text.encode())})
    assert response.status_code == 201, response.text
    sources = {d["source"] for d in client.get("/v1/documents").json()}
    assert source in sources and not any(".." in s or "/" in s or "\\" in s for s in sources)
    root = api.data_dir.parent
    assert not [p for p in root.rglob("*") if p.name in (source, "passwd.txt", "etc")]
    assert not (Path("/etc/passwd.txt").exists() or Path("/etc/hosts.txt").exists())
    deleted = client.delete(f"/v1/documents/{source}")
    assert deleted.status_code == 200 and deleted.json()["documents_removed"] == 1


@pytest.mark.parametrize("filename", ["..", "../", "", "\x00"])
def test_upload_names_without_a_file_name_are_refused(client: httpx.Client, filename: str) -> None:
    response = client.post("/v1/documents", files={"file": (filename, b"Some text.\n")})
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/json")


def test_deleting_by_a_traversal_path_touches_nothing(client: httpx.Client, api: ServedAPI) -> None:
    before = sorted(p.relative_to(api.data_dir) for p in api.data_dir.rglob("*") if p.is_file())
    for raw in ("..%2F..%2Fetc%2Fpasswd", "%2E%2E/%2E%2E/serve.log", "..%5C..%5Cserve.log"):
        response = client.delete(f"/v1/documents/{raw}")
        assert response.status_code in (404, 405), response.text
        assert response.headers["content-type"].startswith("application/json")
    after = sorted(p.relative_to(api.data_dir) for p in api.data_dir.rglob("*") if p.is_file())
    assert set(before) <= set(after)
