"""The LLM client and the managed server against real llama.cpp servers (no mocks)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from rag.adapters.cpu_backend import EXCLUDED, library_dir, variant_files, variant_name
from rag.adapters.llm_server import (
    SERVER_MODULE,
    ServerRole,
    ensure_server,
    local_url,
    pidfile_path,
    role_port,
    server_status,
    start_server,
    stop_server,
)
from rag.adapters.openai_client import LLMClient
from rag.errors import LLMUnavailableError
from rag.generation.llm import ReaderGenerator
from rag.generation.prompts import READER_SCHEMA, parse_reply
from rag.language.sentences import SourceSentence
from rag.settings import Settings
from rag.types import ChatMessage
from tests.api_server import run_rag
from tests.chat_model import smollm2_gguf
from tests.conftest import free_port
from tests.integration.conftest import READER_MODEL, SMOLLM2_MODEL

pytestmark = pytest.mark.integration

QUESTION = "Who exchanged the ratification documents?"
SOURCES = (
    "Article: News Brief\n"
    "[1] The pact was unanimously approved by Russian lawmakers and ratified by Kim.\n"
    "[2] The treaty took effect Wednesday after North Korea's Vice Foreign Minister Kim Jong "
    "Gyu and Russia's Vice Foreign Minister Andrei Rudenko exchanged ratification documents."
)
MESSAGES = (
    ChatMessage(role="system", content="Answer from the numbered sentences, in JSON."),
    ChatMessage(role="user", content=f"{SOURCES}\n\nQuestion: {QUESTION}"),
)


def reader(url: str, timeout_s: float = 60.0, retries: int = 1) -> LLMClient:
    return LLMClient(
        url, READER_MODEL, timeout_s=timeout_s, retries=retries, response_format="json_object"
    )


def server_pids(port: int) -> list[int]:
    """Every llama.cpp server process on this machine listening on ``port``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if SERVER_MODULE.encode() in args and str(port).encode() in args:
            found.append(int(cmdline.parent.name))
    return found


def test_the_reader_answers_in_the_schema_and_cites_the_right_sentence(llm_server: str) -> None:
    client = reader(llm_server)
    assert client.health()
    reply = parse_reply(client.complete(MESSAGES, max_tokens=96, json_schema=READER_SCHEMA))
    assert reply.answer is not None and "Rudenko" in reply.answer
    assert reply.sentences == (2,)
    assert client.tokens_generated > 0


def test_chat_against_smollm2_uses_the_same_client(chat_llm_server: str) -> None:
    client = LLMClient(chat_llm_server, SMOLLM2_MODEL, response_format="json_object")
    reply = client.complete(MESSAGES, max_tokens=60, json_schema=READER_SCHEMA)
    parsed = parse_reply(reply)  # even a 135M model is held to the schema by the grammar
    assert all(isinstance(n, int) for n in parsed.sentences)
    free = client.complete(MESSAGES, max_tokens=40)
    assert free.strip() and "Question:" not in free  # an answer, not an echo of the prompt


def test_a_dead_port_fails_fast_with_a_clear_error() -> None:
    client = LLMClient(local_url(free_port()), READER_MODEL, retries=1)
    started = time.monotonic()
    with pytest.raises(LLMUnavailableError, match="cannot reach the LLM server at http://127"):
        client.complete(MESSAGES)
    assert not client.health()
    assert time.monotonic() - started < 10


def test_an_oversized_prompt_is_reported_with_its_http_status(chat_llm_server: str) -> None:
    too_long = (ChatMessage(role="user", content="word " * 5000),)
    client = LLMClient(chat_llm_server, SMOLLM2_MODEL, retries=0)
    with pytest.raises(LLMUnavailableError, match=r"answered HTTP 4\d\d"):
        client.complete(too_long)


def test_a_slow_reply_times_out(llm_server: str) -> None:
    slow = (ChatMessage(role="user", content="word " * 1500 + "Once upon a time"),)
    with pytest.raises(LLMUnavailableError, match="timed out"):
        reader(llm_server, timeout_s=0.05, retries=0).complete(slow, max_tokens=4)


def test_a_server_that_cannot_load_its_model_is_reported(tmp_path: Path) -> None:
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + bytes(64))
    settings = Settings(data_dir=tmp_path / "data")
    with pytest.raises(LLMUnavailableError, match=r"exited with code .*llm-server\.log"):
        start_server(settings, model_path=bogus, port=free_port())
    assert not pidfile_path(settings).exists()


def test_ensure_server_starts_one_server_reuses_it_and_stop_ends_it(
    tmp_path: Path, reader_model_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", llm_port=free_port(), llm="local")
    settings.data_dir.mkdir(parents=True)
    # `ensure_server` looks for the model under data_dir/models: point it at the cached copy.
    (settings.data_dir / "models").symlink_to(reader_model_path.parent)
    try:
        with ThreadPoolExecutor(2) as pool:  # two callers at once: the lock lets one start it
            urls = list(pool.map(lambda _: ensure_server(settings), range(2)))
        status = server_status(settings)
        assert urls == [local_url(settings.llm_port)] * 2 and status.healthy
        assert status.pid is not None and server_pids(settings.llm_port) == [status.pid]
        # What the process really has loaded: the model it was given and one CPU backend.
        assert status.model == str(reader_model_path.resolve())
        assert status.cpu_backend in {variant_name(p) for p in variant_files(library_dir())}
        assert status.cpu_backend not in EXCLUDED
        # Another data folder has no pidfile for it, but the port's listener is the same.
        elsewhere = server_status(settings.model_copy(update={"data_dir": tmp_path / "other"}))
        assert (elsewhere.pid, elsewhere.model, elsewhere.cpu_backend) == (
            status.pid, status.model, status.cpu_backend
        )  # fmt: skip
        client = LLMClient.from_settings(settings)  # `local` without a URL: the same server
        assert client.complete(MESSAGES, max_tokens=8).strip()
        assert server_pids(settings.llm_port) == [status.pid]
    finally:
        stopped = stop_server(settings)
    assert stopped and server_pids(settings.llm_port) == []
    after = server_status(settings)
    assert not after.healthy and after.pid is None
    assert not pidfile_path(settings).exists() and not stop_server(settings)


def test_the_reader_and_its_second_look_each_get_a_managed_server(
    tmp_path: Path, reader_model_path: Path
) -> None:
    """On one server each call would evict the other's cached system prompt, so `local`
    without a URL starts a server per role; `rag llm-server` reports and stops both."""
    settings = Settings(
        data_dir=tmp_path / "data", llm_port=free_port(), llm_check_port=free_port(), llm="local"
    )
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "models").symlink_to(reader_model_path.parent)
    generator = ReaderGenerator(settings, threading.BoundedSemaphore(1))
    try:
        reading = generator.reader()
        reader_pids = server_pids(settings.llm_port)
        check_pids = server_pids(settings.llm_check_port)
        assert len(reader_pids) == 1 and len(check_pids) == 1 and reader_pids != check_pids
        assert pidfile_path(settings, ServerRole.check).exists() and generator.healthy()
        text = SOURCES.splitlines()[2]
        cited = SourceSentence(text=text, start=0, end=len(text), source="a.txt", chunk_id="c")
        assert reading.confirms(QUESTION, "Kim Jong Gyu and Andrei Rudenko", [cited])
        # The second look was asked of its own server, not the reader's.
        assert reading.checker is not None and reading.checker.tokens_generated > 0
        assert reading.client.tokens_generated == 0
        shown = run_rag("llm-server", "status", data_dir=settings.data_dir).stdout
        status = " ".join(shown.split())
        assert status.count(": healthy (pid") == 2, status
        for role, pids in ((ServerRole.reader, reader_pids), (ServerRole.check, check_pids)):
            url = local_url(role_port(settings, role))
            assert f"{role} {url}: healthy (pid {pids[0]}," in status
    finally:
        generator.close()
        stopped = run_rag("llm-server", "stop", data_dir=settings.data_dir)
    assert stopped.stdout.split() == ["reader:", "stopped", "check:", "stopped"]
    assert server_pids(settings.llm_port) == server_pids(settings.llm_check_port) == []


@pytest.mark.parametrize(
    ("module", "ours"), [("rag.adapters.llm_serve", True), ("rag.llm_serve", True), ("x", False)]
)
def test_stop_ends_a_server_of_this_or_the_previous_layout_and_nothing_else(
    tmp_path: Path, module: str, ours: bool
) -> None:
    """The pidfile's process is stopped only when its command line runs the server
    module, under its name today or before rag/ had folders (a server left running across
    an upgrade); any other process holding that pid is left alone."""
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; print(flush=True); time.sleep(60)", module],
        stdout=subprocess.PIPE,
    )
    try:
        # Until the child has exec'ed, /proc shows pytest's command line, not the sleeper's.
        assert sleeper.stdout is not None and sleeper.stdout.readline() == b"\n"
        record = {"pid": sleeper.pid, "port": free_port()}
        pidfile_path(settings).write_text(json.dumps(record), encoding="utf-8")
        assert (server_status(settings).pid == sleeper.pid) is ours
        assert stop_server(settings) is ours
        if ours:
            sleeper.wait(timeout=15)  # ended, else this raises TimeoutExpired
        else:
            assert sleeper.poll() is None
        assert not pidfile_path(settings).exists()
    finally:
        sleeper.kill()
        sleeper.communicate()  # reaps it and closes its pipe


def test_port_and_host_in_the_environment_do_not_move_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # make exports its variables (`make run PORT=8111`) and hosting platforms set PORT;
    # llama-cpp-python's settings read both over its command line.
    decoy = free_port()
    monkeypatch.setenv("PORT", str(decoy))
    monkeypatch.setenv("HOST", "0.0.0.0")
    settings = Settings(data_dir=tmp_path / "data", llm_model=SMOLLM2_MODEL)
    handle = start_server(settings, model_path=smollm2_gguf(), port=free_port())
    try:
        assert handle.port != decoy and server_pids(handle.port) == [handle.pid]
        assert LLMClient(handle.base_url, SMOLLM2_MODEL).health()
        assert server_pids(decoy) == []
    finally:
        handle.stop()
