"""Uploads of several files as jobs, over real HTTP against `rag serve` in a subprocess:
202 and a job to poll, bad files skipped with their reason, the job outliving its client,
and a server killed mid-job that says so after its restart, with the index consistent."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from index.job_runner import RESTARTED
from tests.api_server import ServedAPI, assert_api_error, copy_index, serve, serve_samples

pytestmark = pytest.mark.integration

API_KEY = "jobs-key-41"
MAX_FILES = 30
ENV = {"RAG_API_KEY": API_KEY, "RAG_MAX_UPLOAD_FILES": str(MAX_FILES)}
THREE = {
    "kaunas.txt": "Lantern festival\n\nThe Zephyr Lantern Festival in Kaunas drew 41,000 "
    "visitors in 2023, its organisers said on Monday.\n",
    "tartu.md": "# Glass works\n\nThe Orrery Glass Works in Tartu employs 312 glassblowers.\n",
    "aldane.html": "<html><head><title>Harbour notes</title></head><body><p>The Port Aldane "
    "lighthouse was repainted cobalt blue in March 2023.</p></body></html>",
}
JOB_TIMEOUT_S = 180.0
# Enough work (about 50 chunks) that the server is still embedding when it is killed.
CRASH_FILES = 24


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    with serve_samples(tmp_path_factory.mktemp("jobs") / "data", ENV) as served:
        yield served


@pytest.fixture
def client(api: ServedAPI) -> Iterator[httpx.Client]:
    with api.client() as c:
        yield c


def _parts(files: dict[str, str | bytes], field: str = "files") -> list[tuple[str, Any]]:
    return [
        (field, (name, text.encode() if isinstance(text, str) else text))
        for name, text in files.items()
    ]


def _sources(client: httpx.Client) -> set[str]:
    return {d["source"] for d in client.get("/v1/documents").json()}


def wait_job(client: httpx.Client, url: str, timeout_s: float = JOB_TIMEOUT_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        response = client.get(url)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise TimeoutError(f"{url} unfinished after {timeout_s}s: {job}")


def start_job(client: httpx.Client, files: list[tuple[str, Any]]) -> str:
    response = client.post("/v1/documents", files=files)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "queued" and len(body["id"]) == 32
    assert response.headers["location"] == body["url"] == f"/v1/jobs/{body['id']}"
    return str(body["url"])


def test_three_files_are_a_job_polled_to_done(client: httpx.Client) -> None:
    url = start_job(client, _parts(THREE))
    job = wait_job(client, url)
    assert job["status"] == "done", job
    assert (job["kind"], job["inputs"]) == ("files", list(THREE))
    assert (job["files_done"], job["files_total"], job["skipped"], job["error"]) == (3, 3, [], None)
    assert job["report"]["documents_added"] == 3
    assert job["chunks_embedded"] == job["report"]["chunks_embedded"] > 0
    assert set(THREE) <= _sources(client)
    listed = client.get("/v1/jobs", params={"limit": 5}).json()
    assert listed[0]["id"] == job["id"] and listed[0]["status"] == "done"
    answer = client.post("/v1/ask", json={"question": "How many glassblowers work in Tartu?"})
    assert "312" in answer.json()["answer"]


def test_a_file_that_fails_to_load_is_skipped_while_the_others_land(
    client: httpx.Client,
) -> None:
    good = {"ribe.txt": "Ribe market\n\nThe Ribe Viking market sold 900 amber beads.\n"}
    bad: dict[str, str | bytes] = {"tool.exe": b"MZ\x90\x00", "blank.txt": b""}
    job = wait_job(client, start_job(client, _parts({**bad, **good})))
    assert job["status"] == "done", job
    assert (job["files_done"], job["files_total"]) == (3, 3)
    reasons = dict(line.split(": ", 1) for line in job["skipped"])
    assert set(reasons) == {"tool.exe", "blank.txt"}
    assert "unsupported file type" in reasons["tool.exe"] and "empty" in reasons["blank.txt"]
    sources = _sources(client)
    assert "ribe.txt" in sources and not {"tool.exe", "blank.txt"} & sources


def test_several_file_parts_are_a_job_too(client: httpx.Client) -> None:
    two = {"a-part.txt": "Alpha part\n\nText one.\n", "b-part.txt": "Beta part\n\nText two.\n"}
    job = wait_job(client, start_job(client, _parts(two, field="file")))
    assert job["status"] == "done" and job["inputs"] == list(two)


def _many(prefix: str, count: int, sentences: int = 1) -> dict[str, str | bytes]:
    return {
        f"{prefix}-{n:03d}.txt": f"{prefix} report {n}\n\n"
        + " ".join(
            f"The {prefix} survey number {n} counted {n * 7 + s} herons at pond {s}."
            for s in range(sentences)
        )
        + "\n"
        for n in range(count)
    }


def _raw_post_then_reset(api: ServedAPI, files: list[tuple[str, Any]]) -> str:
    """POST over a bare socket, read the response head, then reset the connection."""
    request = httpx.Request("POST", f"{api.url}/v1/documents", files=files, headers=api.headers)
    body = request.read()
    host, port = request.url.host, request.url.port or 80
    head = f"POST /v1/documents HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    head += "".join(
        f"{k}: {v}\r\n" for k, v in request.headers.items() if k.lower() not in ("host",)
    )
    with socket.create_connection((host, port), timeout=60) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(4096)
        # RST rather than FIN: the client is gone at once, before reading the body.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    status_line, *lines = received.split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert status_line.split()[1] == "202", received
    headers = dict(line.split(": ", 1) for line in lines)
    return headers.get("location") or headers["Location"]


def test_the_job_goes_on_when_the_client_disconnects(api: ServedAPI, client: httpx.Client) -> None:
    files = _many("gone", 20, sentences=6)
    url = _raw_post_then_reset(api, _parts(files))
    job = wait_job(client, url)
    assert job["status"] == "done", job
    assert (job["files_done"], job["report"]["documents_added"]) == (20, 20)
    assert set(files) <= _sources(client)


def test_too_many_files_are_refused(client: httpx.Client) -> None:
    response = client.post("/v1/documents", files=_parts(_many("over", MAX_FILES + 1)))
    assert_api_error(response, 400, f"maximum number of files is {MAX_FILES}")
    assert not any(s.startswith("over-") for s in _sources(client))


def test_duplicate_names_in_one_upload_are_refused(client: httpx.Client) -> None:
    files = [("files", ("twin.txt", b"One.\n")), ("files", ("sub/twin.txt", b"Two.\n"))]
    assert_api_error(client.post("/v1/documents", files=files), 400, "two files named 'twin.txt'")


def test_unknown_and_malformed_job_ids(client: httpx.Client, api: ServedAPI) -> None:
    assert_api_error(client.get(f"/v1/jobs/{'0' * 32}"), 404, "no job with id")
    assert_api_error(client.get("/v1/jobs/not-an-id"), 422, "job_id")
    assert_api_error(httpx.get(f"{api.url}/v1/jobs", timeout=30), 401, "API key")
    assert_api_error(httpx.get(f"{api.url}/v1/jobs/{'0' * 32}", timeout=30), 401, "API key")


def _kill_mid_job(api: ServedAPI, client: httpx.Client, url: str) -> dict[str, Any]:
    """SIGKILL the server once the job has embedded some chunks: a crash, no shutdown."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(url).json()
        assert job["status"] in ("queued", "running"), job  # must still be running
        if job["chunks_embedded"] > 0:
            api.process.kill()
            api.process.wait(timeout=30)
            return job
        time.sleep(0.05)
    raise TimeoutError(f"no chunk embedded within {JOB_TIMEOUT_S}s")


def test_a_server_killed_mid_job_reports_it_failed_and_a_rerun_completes(
    tmp_path: Path,
) -> None:
    from tests.api_server import sample_index

    data_dir = copy_index(sample_index(), tmp_path / "data")
    env = {**ENV, "RAG_INGEST_COMMIT_DOCS": "3", "RAG_EMBED_BATCH": "4"}
    files = _many("crash", CRASH_FILES, sentences=16)
    with serve(data_dir, env) as api, api.client() as client:
        url = start_job(client, _parts(files))
        seen = _kill_mid_job(api, client, url)
    assert seen["files_total"] == CRASH_FILES
    with serve(data_dir, env) as api, api.client() as client:
        job = wait_job(client, url, timeout_s=10)
        assert (job["status"], job["error"], job["report"]) == ("failed", RESTARTED, None)
        landed = {s for s in _sources(client) if s.startswith("crash-")}
        assert landed < set(files)  # committed batches stay, the rest is missing
        assert list((data_dir / "uploads").iterdir()) == []
        rerun = wait_job(client, start_job(client, _parts(files)))
        assert rerun["status"] == "done", rerun
        report = rerun["report"]
        assert (report["documents_unchanged"], report["documents_added"]) == (
            len(landed),
            CRASH_FILES - len(landed),
        )
        docs = [d for d in client.get("/v1/documents").json() if d["source"] in files]
        assert len(docs) == CRASH_FILES and all(d["chunks"] > 0 for d in docs)
