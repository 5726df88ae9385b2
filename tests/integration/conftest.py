"""Real llama.cpp servers for the integration tier, started once per test session.

`llm_server` serves the bundled reader, Qwen2.5-Coder-1.5B-Instruct, the `local`
generator's model; `chat_llm_server` serves SmolLM2-135M-Instruct, a second, cheap chat
server for protocol tests and the `openai` generator. Both run through `rag.adapters.llm_server`,
the code the product uses, with logs and pidfiles in a temporary data folder. The
assembled reader GGUF (1.1 GB) is cached in the checkout's ``data/models`` (git-ignored),
the same place `rag` uses by default, so it is built once per checkout, not per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.adapters.llm_server import start_server
from rag.adapters.local_model import reader_gguf
from rag.settings import Settings
from tests.api_server import sample_index
from tests.chat_model import smollm2_gguf
from tests.conftest import ROOT, free_port

MODELS_DIR = ROOT / "data" / "models"
READER_MODEL = Settings.model_fields["llm_model"].default
SMOLLM2_MODEL = "smollm2-135m-instruct"


def _serve(data_dir: Path, model_path: Path, model_name: str) -> Iterator[str]:
    settings = Settings(data_dir=data_dir, llm_model=model_name, llm="local")
    handle = start_server(settings, model_path=model_path, port=free_port())
    try:
        yield handle.base_url
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def index() -> Path:
    """The samples ingested once per session: a template, never served itself (`copy_index`)."""
    return sample_index()


@pytest.fixture(scope="session")
def reader_model_path() -> Path:
    return reader_gguf(MODELS_DIR)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory, reader_model_path: Path) -> Iterator[str]:
    """Base URL (…/v1) of a real server of the bundled reader, named `READER_MODEL`."""
    yield from _serve(tmp_path_factory.mktemp("reader"), reader_model_path, READER_MODEL)


@pytest.fixture(scope="session")
def chat_llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (…/v1) of a real SmolLM2 chat server; use the model name `SMOLLM2_MODEL`."""
    yield from _serve(tmp_path_factory.mktemp("smollm2"), smollm2_gguf(), SMOLLM2_MODEL)
