"""`rag serve --workers 2` against a `chroma run` server: both workers answer and share writes.

Which worker served a request is read from the kernel, not from the app: the server's
end of a kept-alive connection is a socket that one worker process holds open.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api_server import QUESTION, ServedAPI, serve_samples

pytestmark = pytest.mark.integration

API_KEY = "workers-key"
FACT = "The Orrery Glass Works in Tartu employs 312 glassblowers, its owner said.\n"
FACT_QUESTION = "How many glassblowers does the Orrery Glass Works employ?"
_TRIES = 60


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found += [int(child), *_children(int(child))]
    return found


def _socket_inodes(local_port: int, remote_port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(addr.rsplit(":", 1)[1], 16) for addr in fields[1:3])
            if (local, remote) == (local_port, remote_port):
                inodes.add(f"socket:[{fields[9]}]")
    return inodes


def _owner(pids: list[int], inodes: set[str]) -> int | None:
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    return None


class Workers:
    """The worker processes of one served API, and connections pinned to each."""

    def __init__(self, api: ServedAPI) -> None:
        self.api = api
        self.port = int(api.url.rsplit(":", 1)[1])
        self.pids = _children(api.process.pid)

    def serving(self, client: httpx.Client) -> int | None:
        """The worker at the other end of ``client``'s open connection."""
        with client.stream("GET", "/v1/models") as response:
            response.read()
            client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        return _owner(self.pids, _socket_inodes(self.port, client_port))

    @contextmanager
    def client_of(self, pid: int) -> Iterator[httpx.Client]:
        """A kept-alive connection that worker ``pid`` accepted (new ones until one is)."""
        for _ in range(_TRIES):
            with self.api.client() as client:
                if self.serving(client) == pid:
                    yield client
                    return
        raise AssertionError(f"no connection reached worker {pid} in {_TRIES} tries")

    def seen(self) -> set[int]:
        found = set()
        for _ in range(_TRIES):
            with self.api.client() as client:
                found.add(self.serving(client))
            if len(found) >= 2:
                break
        return found


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory, chroma_server: str) -> Iterator[Workers]:
    # Its own collection: the Chroma server is shared by the whole test session.
    env = {"RAG_CHROMA_URL": chroma_server, "RAG_COLLECTION": "api-workers", "RAG_API_KEY": API_KEY}
    data_dir = tmp_path_factory.mktemp("workers") / "data"
    with serve_samples(data_dir, env, args=["--workers", "2"]) as api:
        yield Workers(api)


def test_both_workers_answer(workers: Workers) -> None:
    seen = workers.seen()
    assert len(seen) == 2 and None not in seen, f"connections reached only {seen}"
    for pid in seen:
        assert pid is not None
        with workers.client_of(pid) as client:
            answer = client.post("/v1/ask", json={"question": QUESTION}).json()
            assert "Kim Jong Gyu" in answer["answer"] and answer["citations"]
            assert workers.serving(client) == pid


def test_an_upload_through_one_worker_is_visible_to_the_other(workers: Workers) -> None:
    first, second = sorted(workers.seen())
    with workers.client_of(first) as one, workers.client_of(second) as other:
        uploaded = one.post("/v1/documents", files={"file": ("glass.txt", FACT.encode())})
        assert uploaded.status_code == 201, uploaded.text
        assert "glass.txt" in {d["source"] for d in other.get("/v1/documents").json()}
        answer = other.post("/v1/ask", json={"question": FACT_QUESTION}).json()
        assert "312" in answer["answer"]
        assert {c["source"] for c in answer["citations"]} == {"glass.txt"}
        assert other.delete("/v1/documents/glass.txt").status_code == 200
        assert "glass.txt" not in {d["source"] for d in one.get("/v1/documents").json()}
        after = one.post("/v1/ask", json={"question": FACT_QUESTION}).json()
        assert "glass.txt" not in {c["source"] for c in after["citations"]}
        assert (workers.serving(one), workers.serving(other)) == (first, second)


def _healthz_served(client: httpx.Client) -> float:
    lines = client.get("/metrics").text.splitlines()
    prefix = 'rag_http_requests_total{method="GET",route="/healthz",status="200"}'
    return sum(float(line.split()[-1]) for line in lines if line.startswith(prefix))


def test_metrics_sum_the_requests_of_every_worker(workers: Workers) -> None:
    first, second = sorted(workers.seen())
    with workers.client_of(first) as one, workers.client_of(second) as other:
        before = _healthz_served(one)
        assert _healthz_served(other) == before  # both scrapes read every worker's counts
        for client in (one, other):
            for _ in range(10):
                assert client.get("/healthz").status_code == 200
        assert _healthz_served(one) == _healthz_served(other) == before + 20
        assert (workers.serving(one), workers.serving(other)) == (first, second)
