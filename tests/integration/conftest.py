"""Real llama.cpp servers for the integration tier, started once per test session.

`llm_server` serves the packaged Gemma 3 270M (a base model: completions mode) and
`chat_llm_server` serves SmolLM2-135M-Instruct (a chat model: chat mode). Both run
through `rag.llm_server`, the code the product uses, with logs and pidfiles in a
temporary data folder. The assembled Gemma GGUF (250 MB) is cached in the checkout's
``data/models`` (git-ignored), the same place `rag` uses by default, so it is built
once per checkout rather than once per run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.llm_server import gemma_gguf, smollm2_gguf, start_server
from rag.settings import Settings
from tests.conftest import ROOT, free_port

MODELS_DIR = ROOT / "data" / "models"
GEMMA_MODEL = "gemma-3-270m"
SMOLLM2_MODEL = "smollm2-135m-instruct"


def _serve(data_dir: Path, model_path: Path, model_name: str) -> Iterator[str]:
    settings = Settings(data_dir=data_dir, llm_model=model_name, llm="local")
    handle = start_server(settings, model_path=model_path, port=free_port())
    try:
        yield handle.base_url
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def gemma_model_path() -> Path:
    return gemma_gguf(MODELS_DIR)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory, gemma_model_path: Path) -> Iterator[str]:
    """Base URL (…/v1) of a real Gemma server; use completions mode and `GEMMA_MODEL`."""
    yield from _serve(tmp_path_factory.mktemp("gemma"), gemma_model_path, GEMMA_MODEL)


@pytest.fixture(scope="session")
def chat_llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL (…/v1) of a real SmolLM2 chat server; use chat mode and `SMOLLM2_MODEL`."""
    yield from _serve(tmp_path_factory.mktemp("smollm2"), smollm2_gguf(), SMOLLM2_MODEL)
