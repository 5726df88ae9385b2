"""The LLM client and the managed server against real llama.cpp servers (no mocks)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.errors import LLMUnavailableError
from rag.llm import LLMClient
from rag.llm_server import (
    ensure_server,
    local_url,
    pidfile_path,
    server_status,
    start_server,
    stop_server,
)
from rag.prompts import Prompt, build_answer_prompt
from rag.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import GEMMA_MODEL, SMOLLM2_MODEL

pytestmark = pytest.mark.integration

QUESTION = "Who exchanged the ratification documents?"
PASSAGES = [
    "The pact was unanimously approved by Russian lawmakers and ratified by Kim through a decree.",
    "The treaty took effect Wednesday after North Korea's Vice Foreign Minister Kim Jong Gyu and "
    "Russia's Vice Foreign Minister Andrei Rudenko exchanged ratification documents in Moscow.",
]
STORY = Prompt(
    text="Here is a short story about a lighthouse keeper.\n\nOnce upon a time,", messages=()
)


def gemma(url: str, timeout_s: float = 30.0, retries: int = 1) -> LLMClient:
    return LLMClient(url, GEMMA_MODEL, mode="completions", timeout_s=timeout_s, retries=retries)


def server_pids(port: int) -> list[int]:
    """Every llama.cpp server process on this machine listening on ``port``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"llama_cpp.server" in args and str(port).encode() in args:
            found.append(int(cmdline.parent.name))
    return found


def test_completions_against_gemma_give_one_short_line(llm_server: str) -> None:
    client = gemma(llm_server)
    assert client.health()
    reply = client.complete(build_answer_prompt(QUESTION, PASSAGES), max_tokens=24)
    assert reply.strip() and "\n" not in reply  # the prompt's newline stop ended it


def test_stream_deltas_add_up_to_the_complete_text(llm_server: str) -> None:
    client = gemma(llm_server)
    # Greedy decoding repeats only from the same KV-cache state: a cold prompt is evaluated
    # in one batch, a repeated one re-evaluates just its last token, and the two kernels
    # round differently (measured: the cold reply differs, every later one is identical).
    client.complete(STORY, max_tokens=24)
    deltas = list(client.stream(STORY, max_tokens=24))
    assert len(deltas) >= 5
    assert "".join(deltas) == client.complete(STORY, max_tokens=24)


def test_chat_mode_against_smollm2_uses_the_same_client(chat_llm_server: str) -> None:
    client = LLMClient(chat_llm_server, SMOLLM2_MODEL, mode="chat")
    prompt = build_answer_prompt(QUESTION, PASSAGES, "chat")
    reply = client.complete(prompt, max_tokens=40)
    assert reply.strip() and "Passages:" not in reply  # an answer, not an echo of the prompt
    deltas = list(client.stream(prompt, max_tokens=40))
    assert len(deltas) > 1 and "".join(deltas) == reply


def test_a_dead_port_fails_fast_with_a_clear_error() -> None:
    client = LLMClient(local_url(free_port()), GEMMA_MODEL, retries=1)
    prompt = build_answer_prompt(QUESTION, PASSAGES)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="cannot reach the LLM server at http://127"):
        client.complete(prompt)
    with pytest.raises(LLMUnavailableError, match="cannot reach"):
        list(client.stream(prompt))
    assert not client.health()
    assert time.monotonic() - started < 10


def test_an_oversized_prompt_is_reported_with_its_http_status(llm_server: str) -> None:
    too_long = Prompt(text="word " * 5000, messages=())
    with pytest.raises(LLMUnavailableError, match=r"answered HTTP 4\d\d"):
        gemma(llm_server, retries=0).complete(too_long)


def test_a_slow_reply_times_out(llm_server: str) -> None:
    slow = Prompt(text="word " * 1500 + "Once upon a time", messages=())
    with pytest.raises(LLMUnavailableError, match="timed out"):
        gemma(llm_server, timeout_s=0.05, retries=0).complete(slow, max_tokens=4)


def test_a_server_that_cannot_load_its_model_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + bytes(64))
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(LLMUnavailableError, match=r"exited with code .*llm-server\.log"):
        start_server(settings, model_path=bogus, port=free_port())
    assert not pidfile_path(settings).exists()


def test_ensure_server_starts_one_server_reuses_it_and_stop_ends_it(
    tmp_path: Path, gemma_model_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_port=free_port(), llm="local")
    settings.data_dir.mkdir(parents=True)
    # `ensure_server` looks for the model under data_dir/models: point it at the cached copy.
    (settings.data_dir / "models").symlink_to(gemma_model_path.parent)
    try:
        with ThreadPoolExecutor(2) as pool:  # two callers at once: the lock lets one start it
            urls = list(pool.map(lambda _: ensure_server(settings), range(2)))
        status = server_status(settings)
        assert urls == [local_url(settings.llm_port)] * 2 and status.healthy
        assert status.pid is not None and server_pids(settings.llm_port) == [status.pid]
        client = LLMClient.from_settings(settings)  # `local` without a URL: the same server
        assert client.complete(build_answer_prompt(QUESTION, PASSAGES)).strip()
        assert server_pids(settings.llm_port) == [status.pid]
    finally:
        stopped = stop_server(settings)
    assert stopped and server_pids(settings.llm_port) == []
    after = server_status(settings)
    assert not after.healthy and after.pid is None
    assert not pidfile_path(settings).exists() and not stop_server(settings)
