"""The peer to beat: llama-index's default query engine, as a user would write it in ten lines.

Same Chroma collection, same embedder, same local LLM as our pipeline, but llama-index's
defaults for everything else: top-k dense retrieval, its stock QA prompt, no grounding
check, no refusal, no conversation handling (follow-ups go in as they are). Its source
nodes become the citations, so the same metrics judge both.
"""

from __future__ import annotations

import time
from typing import Any

from llama_index.core import Settings as LlamaSettings
from llama_index.core import VectorStoreIndex
from llama_index.llms.openai_like import OpenAILike
from llama_index.vector_stores.chroma import ChromaVectorStore

from evals.gold import GoldItem
from evals.runner import Answerer, Outcome
from rag.adapters.embedders import as_llama_index
from rag.adapters.llm_server import ensure_server
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from rag.types import Answer, Citation

NAME = "llamaindex-default"
# What llama-index's synthesizer returns when it was given no nodes.
_EMPTY = "Empty Response"


def build_query_engine(settings: Settings, corpus: Corpus, top_k: int) -> Any:
    """The default query engine over our collection, with the managed local LLM."""
    llm = OpenAILike(
        model=settings.llm_model,
        api_base=ensure_server(settings),
        api_key=settings.llm_api_key,
        # The bundled reader is a chat model: its own template, through chat completions.
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.llm_ctx,
        max_tokens=settings.llm_max_tokens,
        timeout=settings.timeout_s,
    )
    embed_model = as_llama_index(corpus.embedder)
    # Set both globals: llama-index's defaults would call OpenAI over the network.
    LlamaSettings.llm = llm
    LlamaSettings.embed_model = embed_model
    vector_store = ChromaVectorStore(chroma_collection=corpus.store.collection)
    index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embed_model)
    return index.as_query_engine(similarity_top_k=top_k, llm=llm)


def to_answer(response: Any, total_ms: float) -> Answer:
    """llama-index's Response as our Answer: node texts are the quotes, unverified."""
    text = str(response.response or "").strip()
    citations = [
        Citation(
            n=n,
            chunk_id=scored.node.node_id,
            source=str(scored.node.metadata.get("source", "")),
            quote=scored.node.get_content(),
            start=scored.node.start_char_idx or 0,
            end=scored.node.end_char_idx or 0,
        )
        for n, scored in enumerate(response.source_nodes, start=1)
    ]
    return Answer(
        answer=text,
        refused=text in ("", _EMPTY),
        citations=citations,
        generator=NAME,
        timings_ms={"total": round(total_ms, 2)},
    )


def llamaindex_answerer(settings: Settings, corpus: Corpus, top_k: int) -> Answerer:
    """Answers with the default engine; its source nodes are also what it retrieved."""
    engine = build_query_engine(settings, corpus, top_k)

    def answer(item: GoldItem) -> Outcome:
        started = time.perf_counter()
        response = engine.query(item.question)
        result = to_answer(response, (time.perf_counter() - started) * 1000)
        retrieved = [(c.source, c.quote) for c in result.citations]
        return Outcome(answer=result, retrieved=retrieved)

    return answer
