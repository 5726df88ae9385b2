"""Event streams while the LLM stalls: keep-alive pings carry a stream through a proxy
that drops idle connections, a client that leaves ends the stream at once, and a
failure mid-stream reaches OpenAI clients as an error they raise.

The stall is real: the API's LLM is a fault proxy (tests/fault_proxy.py) that never
answers, so every answer waits on it after its evidence went out.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests.api_server import QUESTION, ServedAPI, copy_index, serve
from tests.fault_proxy import FaultProxy
from tests.idle_proxy import IdleProxy
from tests.integration.conftest import READER_MODEL
from tests.sse import sse_events

pytestmark = pytest.mark.integration

STALL_S = 15  # how long the LLM call waits before the evidence answers alone
IDLE_S = 5  # the proxy's idle timeout; pings come every second
IMPATIENT_S = 5  # the request budget of the server whose streams fail midway
ASK = {"question": QUESTION}


@pytest.fixture(scope="module")
def hung_llm() -> Iterator[FaultProxy]:
    proxy = FaultProxy("http://127.0.0.1:9/v1")  # never forwarded: it only hangs
    proxy.set_mode("hang")
    yield proxy
    proxy.close()


def _serve(index: Path, data_dir: Path, llm: FaultProxy, **env: str) -> Iterator[ServedAPI]:
    common = {
        "RAG_LLM": "local",
        "RAG_LLM_BASE_URL": llm.url,
        "RAG_LLM_MODEL": READER_MODEL,
        "RAG_LLM_RETRIES": "0",
        # Abandoned LLM calls keep their slot until they time out; leave room for them.
        "RAG_LLM_CONCURRENCY": "8",
        "RAG_SSE_PING_S": "1",
    }
    with serve(copy_index(index, data_dir), {**common, **env}) as served:
        yield served


@pytest.fixture(scope="module")
def stalled(
    index: Path, hung_llm: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedAPI]:
    """Each answer waits STALL_S on the LLM, then is the evidence alone."""
    data_dir = tmp_path_factory.mktemp("stalled") / "data"
    yield from _serve(index, data_dir, hung_llm, RAG_TIMEOUT_S=str(STALL_S))


@pytest.fixture(scope="module")
def impatient(
    index: Path, hung_llm: FaultProxy, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServedAPI]:
    """The request budget runs out while the LLM stalls: streams fail while it reads."""
    data_dir = tmp_path_factory.mktemp("impatient") / "data"
    env = {"RAG_TIMEOUT_S": "120", "RAG_REQUEST_TIMEOUT_S": str(IMPATIENT_S)}
    yield from _serve(index, data_dir, hung_llm, **env)


@pytest.fixture
def idle_proxy(stalled: ServedAPI) -> Iterator[IdleProxy]:
    proxy = IdleProxy(stalled.url, idle_s=IDLE_S)
    yield proxy
    proxy.close()


def test_pings_carry_a_stalled_stream_through_a_proxy_that_drops_idle_ones(
    idle_proxy: IdleProxy,
) -> None:
    started = time.monotonic()
    with httpx.stream("POST", f"{idle_proxy.url}/v1/ask?stream=true", json=ASK, timeout=120) as r:
        assert r.status_code == 200
        headers, lines = r.headers, list(r.iter_lines())
    elapsed = time.monotonic() - started
    assert headers["cache-control"] == "no-cache" and headers["x-accel-buffering"] == "no"
    assert elapsed >= STALL_S and idle_proxy.dropped == 0
    assert sum(line.startswith(": ping") for line in lines) >= STALL_S - IDLE_S
    events = sse_events("\n".join(lines))
    assert events[0][0] == "reading" and events[0][1]["sources"]  # at once, before the wait
    done = events[-1][1]["answer"]
    assert events[-1][0] == "done" and done["notice"].startswith("LLM unavailable")
    assert "Kim Jong Gyu" in done["answer"]  # the extractive answer, after the stall


def test_the_same_stall_without_a_stream_is_cut_by_that_proxy(idle_proxy: IdleProxy) -> None:
    """The control: a plain JSON answer sends nothing while it waits, so the proxy drops it."""
    started = time.monotonic()
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{idle_proxy.url}/v1/ask", json=ASK, timeout=120)
    assert IDLE_S <= time.monotonic() - started < STALL_S and idle_proxy.dropped == 1


def _requests_served(api: ServedAPI, route: str) -> float:
    lines = httpx.get(f"{api.url}/metrics", timeout=30).text.splitlines()
    prefix = f'rag_http_requests_total{{method="POST",route="{route}"'
    return sum(float(line.split()[-1]) for line in lines if line.startswith(prefix))


def test_a_client_that_leaves_ends_the_stream_at_once(stalled: ServedAPI) -> None:
    before = _requests_served(stalled, "/v1/ask")
    with httpx.stream("POST", f"{stalled.url}/v1/ask?stream=true", json=ASK, timeout=120) as r:
        assert next(r.iter_lines()).startswith("event: reading")
    left = time.monotonic()
    # The request is counted when its handler returns: at once, not after the stall.
    while _requests_served(stalled, "/v1/ask") == before:
        assert time.monotonic() - left < STALL_S / 2, "the stream ran on after the client left"
        time.sleep(0.2)


def test_the_openai_client_raises_on_a_failure_mid_stream(impatient: ServedAPI) -> None:
    client = openai.OpenAI(base_url=f"{impatient.url}/v1", api_key="unused", max_retries=0)
    texts, finishes = [], []
    with client, pytest.raises(openai.APIError) as raised:
        for chunk in client.chat.completions.create(
            model="news-rag", messages=[{"role": "user", "content": QUESTION}], stream=True
        ):
            texts += [choice.delta.content or "" for choice in chunk.choices]
            finishes += [choice.finish_reason for choice in chunk.choices if choice.finish_reason]
    assert type(raised.value) is openai.APIError  # the server's error, not a dropped connection
    assert raised.value.message == f"the request took longer than {IMPATIENT_S}s"
    assert (raised.value.type, raised.value.code) == ("server_error", "timeout")
    # Nothing unverified is streamed while the reader reads: no text came before the error.
    assert "".join(texts) == ""
    assert finishes == []


def test_ask_streams_keep_their_own_error_event(impatient: ServedAPI) -> None:
    response = httpx.post(f"{impatient.url}/v1/ask?stream=true", json=ASK, timeout=120)
    events = sse_events(response.text)
    assert events[0][0] == "reading"
    assert events[-1] == ("error", {"message": f"the request took longer than {IMPATIENT_S}s"})
