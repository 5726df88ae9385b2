"""Secrets stay secret: neither the API key nor the LLM server's key (nor credentials in
its URL) appears in any response or in the server's log, whatever the client sends and
whatever the LLM server answers.

The LLM server here is a stand-in that fails every call with a message echoing the
credentials it was sent (as some OpenAI-compatible proxies do): 401 for the model list,
500 for completions. The assistant's notice about the failed call must not pass them on.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from rag.adapters.openai_client import LLMClient
from rag.errors import LLMUnavailableError
from rag.types import ChatMessage
from tests.api_server import QUESTION, ServedAPI, serve_samples

pytestmark = pytest.mark.integration

API_KEY = "api-key-Zq81vXcT3"
LLM_KEY = "llm-key-Wm47pLsN9"
URL_PASSWORD = "url-pass-Hd52kRyB6"
SECRETS = (API_KEY, LLM_KEY, URL_PASSWORD)


class _EchoingFailure(BaseHTTPRequestHandler):
    """Fails every call, repeating the credentials it received."""

    def _fail(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        sent = f"{self.headers.get('authorization')} {self.path}"
        body = {"error": {"message": f"Bad request with credentials {sent}", "type": "x"}}
        data = json.dumps(body).encode()
        self.send_response(401 if self.path.endswith("/models") else 500)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _fail

    def log_message(self, *args: object) -> None:  # quiet: pytest shows the test's output
        pass


@pytest.fixture(scope="module")
def failing_llm() -> Iterator[str]:
    """Its base URL, …/v1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoingFailure)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, failing_llm: str) -> Iterator[ServedAPI]:
    data_dir = tmp_path_factory.mktemp("secrets") / "data"
    env = {
        "RAG_API_KEY": API_KEY,
        "RAG_LLM": "local",
        "RAG_LLM_BASE_URL": failing_llm,
        "RAG_LLM_API_KEY": LLM_KEY,
        "RAG_LLM_RETRIES": "0",
    }
    with serve_samples(data_dir, env) as served:
        yield served


def _requests(api: ServedAPI) -> list[httpx.Response]:
    right = {"Authorization": f"Bearer {API_KEY}"}
    json_type = {"Content-Type": "application/json"}
    ask = {"question": QUESTION}
    with httpx.Client(base_url=api.url, timeout=120) as client:
        wrong_keys = [
            client.post("/v1/ask", json=ask, headers={"Authorization": auth})
            for auth in ("Bearer wrong", f"Bearer {API_KEY}x", f"Basic {API_KEY}", API_KEY)
        ]
        chat = {"messages": [{"role": "user", "content": QUESTION}]}
        return [
            *wrong_keys,
            client.get("/v1/models"),
            client.post("/v1/ask", json=ask, headers=right),
            client.post("/v1/ask", params={"stream": "true"}, json=ask, headers=right),
            client.post("/v1/chat/completions", json=chat, headers=right),
            client.post("/v1/chat/completions", json={**chat, "stream": True}, headers=right),
            client.post("/v1/ask", content=b'{"question": ', headers={**right, **json_type}),
            client.post("/v1/ask", json={**ask, "api_key": API_KEY}, headers=right),
            client.post("/v1/ask", json={"question": LLM_KEY * 500}, headers=right),
            client.post("/v1/documents", files={"file": ("x.exe", b"MZ")}, headers=right),
            client.get("/healthz"),
            client.get("/readyz"),
            client.get("/metrics"),
            client.get("/openapi.json"),
        ]


def test_no_response_and_no_log_line_contains_a_secret(api: ServedAPI) -> None:
    responses = _requests(api)
    statuses = [r.status_code for r in responses]
    assert statuses[:5] == [401] * 5
    assert statuses[5:9] == [200] * 4
    assert statuses[9:13] == [400, 422, 422, 400]
    answer = responses[5].json()
    assert "LLM unavailable" in answer["notice"] and "HTTP 500" in answer["notice"]
    assert "credentials Bearer ***" in answer["notice"]  # the echo arrived, masked
    assert responses[-3].json()["generator"] is False  # /readyz met the 401
    for response in responses:
        seen = response.text + json.dumps(dict(response.headers))
        for secret in SECRETS:
            assert secret not in seen, (response.request.url, secret, response.text[:500])
    log = api.log()
    assert "POST /v1/ask" in log  # the log was written; it is not empty by accident
    for secret in SECRETS:
        assert secret not in log, secret


def test_a_password_in_the_llm_url_is_never_repeated(failing_llm: str) -> None:
    """httpx sends a password in the URL as Basic credentials; the echo must be masked in
    every form, and the URL in the message shown without it."""
    url = failing_llm.replace("http://", f"http://rag:{URL_PASSWORD}@")
    client = LLMClient(url, "any-model", api_key=LLM_KEY, retries=0)
    with pytest.raises(LLMUnavailableError) as raised:
        client.complete((ChatMessage(role="user", content="Question: x"),))
    message = str(raised.value)
    assert "HTTP 500" in message and "credentials Basic ***" in message
    assert not client.health()
    basic = base64.b64encode(f"rag:{URL_PASSWORD}".encode()).decode()
    for secret in (*SECRETS, basic):
        assert secret not in message, message
