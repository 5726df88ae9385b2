"""The servers the end-to-end benchmark talks to: `rag serve` and a llama.cpp server.

Both listen on free loopback ports and live only inside their context managers. The
API gets its own data folder and an environment without the caller's RAG_* variables,
and runs from that folder so no stray ``.env`` file is read.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from rag.adapters.llm_server import start_server
from rag.adapters.local_model import reader_gguf
from rag.errors import ConfigError, LLMUnavailableError
from rag.settings import Settings

_START_TIMEOUT_S = 240.0
_STOP_TIMEOUT_S = 30.0
_POLL_S = 0.25


@dataclass(frozen=True)
class RunningAPI:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LLMEndpoint:
    """The LLM server the benchmark measures; ``pid`` None when another process runs it."""

    base_url: str
    pid: int | None


@contextmanager
def llm_server(base: Settings, data_dir: Path) -> Iterator[LLMEndpoint]:
    """The server at ``RAG_LLM_BASE_URL`` when one is set (measured as it is, left running);
    else a llama.cpp server over the bundled reader model, stopped when the block exits."""
    if base.llm_base_url:
        yield LLMEndpoint(base.llm_base_url, None)
        return
    model = reader_gguf(base.data_dir / "models")
    settings = base.model_copy(update={"data_dir": data_dir, "llm": "local"})
    handle = start_server(settings, model_path=model, port=free_port())
    try:
        yield LLMEndpoint(handle.base_url, handle.pid)
    finally:
        handle.stop()


def _rag_executable() -> str:
    script = Path(sys.executable).with_name("rag")
    if not script.is_file():
        raise ConfigError(f"the `rag` console script is not installed beside {sys.executable}")
    return str(script)


def _wait_healthy(api: RunningAPI) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if api.process.poll() is not None:
            raise LLMUnavailableError(f"`rag serve` exited early; see {api.log}")
        try:
            if httpx.get(f"{api.url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(_POLL_S)
    raise LLMUnavailableError(f"`rag serve` did not answer in {_START_TIMEOUT_S:.0f}s")


@contextmanager
def rag_api(data_dir: Path, env: Mapping[str, str]) -> Iterator[RunningAPI]:
    """`rag serve` on a free loopback port with ``env`` as its only RAG_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    port = free_port()
    log = data_dir / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [_rag_executable(), "serve", "--port", str(port)],
            env={**clean, "RAG_DATA_DIR": str(data_dir), **env},
            cwd=data_dir,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    api = RunningAPI(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(api)
        yield api
    finally:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=_STOP_TIMEOUT_S)
