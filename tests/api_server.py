"""The real API for integration tests: `rag serve` in a subprocess, spoken to over HTTP.

Every server gets its own data folder and an environment rebuilt from scratch, so a
developer's RAG_* variables or .env file cannot leak in. Ingesting the samples costs
seconds of embedding (and a CLI start), so the samples are ingested once per test session
(`sample_index`) and each server gets a copy (`copy_index`).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SAMPLES, free_port, wait_http

RAG = str(Path(sys.executable).with_name("rag"))
START_TIMEOUT_S = 240.0
QUESTION = "Who exchanged the ratification documents?"
# Settings that decide where and how an index is stored: the template made under the
# defaults is no index for a server with any of them (a Chroma server, another collection).
STORE_SETTINGS = frozenset(
    {"RAG_CHROMA_URL", "RAG_COLLECTION", "RAG_EMBED", "RAG_CHUNK_SIZE", "RAG_CHUNK_OVERLAP"}
)
# OpenAI's error type for each status; any other 4xx is an invalid_request_error.
_ERROR_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


def rag_env(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return {**env, "RAG_DATA_DIR": str(data_dir), "RAG_LLM": "extractive", **(extra or {})}


def run_rag(
    *args: str, data_dir: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`rag ARGS` as a shell runs it, on ``data_dir`` (also its working directory: Settings
    would read a .env file from there), with the extractive generator unless ``env`` says."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [RAG, *args],
        check=False,
        env=rag_env(data_dir, env),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )


def ingest_samples(data_dir: Path, extra_env: Mapping[str, str] | None = None) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    # cwd is the data folder: Settings would read a .env file from the working directory.
    subprocess.run(
        [RAG, "ingest", str(SAMPLES)],
        env=rag_env(data_dir, extra_env),
        cwd=data_dir,
        check=True,
        capture_output=True,
        timeout=START_TIMEOUT_S,
    )


@functools.cache
def sample_index() -> Path:
    """The sample articles ingested once per test process into embedded Chroma under the
    default settings: a template for `copy_index`, removed when the process ends."""
    root = Path(tempfile.mkdtemp(prefix="rag-sample-index-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    ingest_samples(root / "data")
    return root / "data"


def copy_index(template: Path, data_dir: Path) -> Path:
    """A private copy of an ingested data folder (embedded Chroma, manifest, BM25); the
    folder may exist already, if empty."""
    shutil.copytree(template, data_dir, dirs_exist_ok=True)
    return data_dir


def assert_api_error(response: httpx.Response, status: int, fragment: str = "") -> dict[str, Any]:
    """An error in OpenAI's shape with the type its status calls for; the error object."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    expected = (
        "server_error" if status >= 500 else _ERROR_TYPES.get(status, "invalid_request_error")
    )
    assert error["type"] == expected, error
    assert fragment.lower() in error["message"].lower(), error["message"]
    assert "Traceback" not in response.text
    return error


@dataclass(frozen=True)
class ServedAPI:
    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    api_key: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def client(self, timeout_s: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=self.headers, timeout=timeout_s)

    def warm_up(self, attempts: int = 10) -> None:
        """Answer once (loads models, fills caches): later timings are not a cold start's."""
        for _ in range(attempts):
            response = httpx.post(
                f"{self.url}/v1/ask", json={"question": QUESTION}, headers=self.headers, timeout=120
            )
            if response.status_code == 200:
                return
        raise RuntimeError(f"no answer after {attempts} attempts: {response.text}")

    def log(self) -> str:
        return (self.data_dir / "serve.log").read_text(encoding="utf-8", errors="replace")


@contextmanager
def serve(
    data_dir: Path, extra_env: Mapping[str, str] | None = None, args: Sequence[str] = ()
) -> Iterator[ServedAPI]:
    """Run `rag serve` on a free loopback port until the block exits."""
    env = rag_env(data_dir, extra_env)
    port = free_port()
    with (data_dir / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [RAG, "serve", "--port", str(port), *args],
            env=env,
            cwd=data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        # /healthz, not /readyz: some servers are meant to start with a dependency down.
        wait_http(f"{url}/healthz", process, timeout_s=START_TIMEOUT_S)
        yield ServedAPI(url, data_dir, process, env.get("RAG_API_KEY"))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


@contextmanager
def serve_samples(
    data_dir: Path, extra_env: Mapping[str, str] | None = None, args: Sequence[str] = ()
) -> Iterator[ServedAPI]:
    """The samples in ``data_dir``, then `rag serve` over them: a copy of `sample_index`,
    unless ``extra_env`` changes where or how they are stored (then ingested anew)."""
    if STORE_SETTINGS.isdisjoint(extra_env or {}):
        copy_index(sample_index(), data_dir)
    else:
        ingest_samples(data_dir, extra_env)
    with serve(data_dir, extra_env, args) as api:
        yield api
