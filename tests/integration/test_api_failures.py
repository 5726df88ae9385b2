"""The API when things go wrong: LLM down or hanging, a request past its time (Chroma going
away and an LLM answering garbage: test_faults.py)."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api_server import QUESTION, RAG, ServedAPI, copy_index, rag_env, serve
from tests.conftest import free_port
from tests.sse import sse_events

pytestmark = pytest.mark.integration

REQUEST_TIMEOUT_S = 4.0


class StalledLLM:
    """A port that accepts connections and never answers: an LLM server that hangs.

    It counts the connections open at once (the API must keep them within
    RAG_LLM_CONCURRENCY); `drain` closes them, and every later one at once, until
    `stall` arms it again.
    """

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0), backlog=32)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}/v1"
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []
        self._released = False
        self.accepted = self.open = self.most_open = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                if self._released:
                    conn.close()
                    continue
                self.open += 1
                self.most_open = max(self.most_open, self.open)
                self._held.append(conn)
            threading.Thread(target=self._until_hangup, args=(conn,), daemon=True).start()

    def _until_hangup(self, conn: socket.socket) -> None:
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass
        with self._lock:
            self.open -= 1

    def stall(self) -> None:
        with self._lock:
            self._released = False
            self.accepted = self.most_open = 0

    def drain(self, quiet_s: float = 2.0) -> None:
        """Close every connection, then wait until abandoned requests stop calling."""
        with self._lock:
            self._released = True
            for conn in self._held:
                conn.shutdown(socket.SHUT_RDWR)
            self._held.clear()
        seen = -1
        while seen != self.accepted:
            seen = self.accepted
            time.sleep(quiet_s)

    def close(self) -> None:
        self.drain(quiet_s=0)
        self._server.close()


@pytest.fixture(scope="module")
def stalled_llm() -> Iterator[StalledLLM]:
    llm = StalledLLM()
    yield llm
    llm.close()


@pytest.fixture(scope="module")
def hung_api(
    index: Path, tmp_path_factory: pytest.TempPathFactory, stalled_llm: StalledLLM
) -> Iterator[ServedAPI]:
    env = {
        "RAG_LLM_BASE_URL": stalled_llm.url,
        "RAG_LLM_RETRIES": "0",
        "RAG_LLM_CONCURRENCY": "1",
        "RAG_REQUEST_TIMEOUT_S": str(REQUEST_TIMEOUT_S),
    }
    with serve(copy_index(index, tmp_path_factory.mktemp("hung") / "data"), env) as served:
        served.warm_up()  # the timings below are about the LLM, not a cold start
        # The reader's first call also loads the LLM client: pay for it before the timings.
        _local_ask(served)
        stalled_llm.drain()
        yield served


@pytest.fixture
def stalled(stalled_llm: StalledLLM) -> Iterator[StalledLLM]:
    stalled_llm.stall()
    yield stalled_llm
    stalled_llm.drain()


@pytest.fixture(scope="module")
def llm_down_api(index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    """RAG_LLM=local against a port nobody listens on; no API key."""
    env = {"RAG_LLM": "local", "RAG_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    with serve(copy_index(index, tmp_path_factory.mktemp("llm-down") / "data"), env) as served:
        yield served


def _local_ask(api: ServedAPI, **params: str) -> httpx.Response:
    body = {"question": QUESTION, "generator": "local"}
    return httpx.post(f"{api.url}/v1/ask", json=body, params=params, timeout=60)


def test_a_request_past_the_timeout_gets_504(hung_api: ServedAPI, stalled: StalledLLM) -> None:
    started = time.monotonic()
    response = _local_ask(hung_api)
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    assert (
        response.json()["error"]["message"]
        == f"the request took longer than {REQUEST_TIMEOUT_S:g}s"
    )
    assert REQUEST_TIMEOUT_S - 0.5 < elapsed < REQUEST_TIMEOUT_S + 10
    assert stalled.accepted == 1


def test_a_stream_past_the_timeout_ends_with_an_error_event(
    hung_api: ServedAPI, stalled: StalledLLM
) -> None:
    response = _local_ask(hung_api, stream="true")
    assert response.status_code == 200
    name, data = sse_events(response.text)[-1]
    assert name == "error" and "took longer than" in data["message"]


def test_llm_calls_are_bounded_and_do_not_hold_up_other_requests(
    hung_api: ServedAPI, stalled: StalledLLM
) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        stuck = [pool.submit(_local_ask, hung_api) for _ in range(3)]
        time.sleep(1.0)
        started = time.monotonic()
        quick = httpx.post(f"{hung_api.url}/v1/ask", json={"question": QUESTION}, timeout=60)
        quick_s = time.monotonic() - started
        statuses = [future.result().status_code for future in stuck]
    assert quick.status_code == 200 and quick.json()["citations"]
    assert quick_s < REQUEST_TIMEOUT_S
    assert statuses == [504, 504, 504]
    assert stalled.most_open == 1  # RAG_LLM_CONCURRENCY=1: the others waited their turn


def test_llm_down_falls_back_to_extractive_with_a_notice(llm_down_api: ServedAPI) -> None:
    response = httpx.post(f"{llm_down_api.url}/v1/ask", json={"question": QUESTION}, timeout=60)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["generator"] == "local"
    assert answer["notice"].startswith("LLM unavailable, extractive answer instead")
    assert "Kim Jong Gyu" in answer["answer"] and answer["citations"]


def test_readyz_reports_the_llm_down(llm_down_api: ServedAPI) -> None:
    response = httpx.get(f"{llm_down_api.url}/readyz", timeout=30)
    assert response.status_code == 503
    assert response.json() == {"ready": False, "store": True, "generator": False}


def test_without_a_key_the_api_is_open_on_loopback_only(llm_down_api: ServedAPI) -> None:
    assert httpx.get(f"{llm_down_api.url}/v1/models", timeout=30).status_code == 200
    assert f"Uvicorn running on http://127.0.0.1:{llm_down_api.url.rsplit(':', 1)[1]}" in (
        llm_down_api.log()
    )


def test_serve_refuses_a_public_address_without_a_key(tmp_path: Path) -> None:
    command = [RAG, "serve", "--host", "0.0.0.0", "--port", str(free_port())]
    done = subprocess.run(
        command,
        env=rag_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "without RAG_API_KEY" in done.stderr
