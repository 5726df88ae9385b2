"""What a client of `rag serve` sees: time to first token, total time, load behaviour.

Time to first token is compared with the LLM server's own, measured directly for the
same prompt our pipeline builds (the reader's messages and schema), so the difference is
our overhead: retrieval, ranking, and waiting for the whole reply before the verified
answer streams. The API's first event names the sources being read; its first `token`
is the verified answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from evals.bench_timing import percentiles
from rag.adapters.embedders import Embedder
from rag.generation.prompts import READER_SCHEMA, reader_messages
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from rag.types import ChatMessage

Messages = tuple[ChatMessage, ...]

_TIMEOUT_S = 120.0


def _stream_ask(client: httpx.Client, question: str, generator: str) -> tuple[float, float, float]:
    """(ms to the first event, to the first `token` event, to the end) of one answer."""
    started = time.perf_counter()
    first: float | None = None
    event: float | None = None
    body = {"question": question, "generator": generator}
    with client.stream("POST", "/v1/ask", params={"stream": "true"}, json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line == "event: error":
                raise RuntimeError(f"the API streamed an error for {question!r}")
            if event is None and line.startswith("event: "):
                event = time.perf_counter()
            if first is None and line == "event: token":
                first = time.perf_counter()
    ended = time.perf_counter()
    return tuple(((at or ended) - started) * 1000 for at in (event, first, ended))  # type: ignore[return-value]


def api_stream_timings(
    url: str, questions: Sequence[str], generator: str, rounds: int
) -> dict[str, float]:
    """p50/p95 time to the first event, the first token and the end; one warm-up first."""
    with httpx.Client(base_url=url, timeout=_TIMEOUT_S) as client:
        _stream_ask(client, questions[0], generator)
        runs = [_stream_ask(client, q, generator) for _ in range(rounds) for q in questions]
    return {
        **percentiles([r[0] for r in runs], prefix="first_event_"),
        **percentiles([r[1] for r in runs], prefix="ttft_"),
        **percentiles([r[2] for r in runs], prefix="total_"),
        "n": len(runs),
    }


def answer_prompts(
    settings: Settings, embedder: Embedder, questions: Sequence[str]
) -> list[Messages]:
    """The reader's messages for ``questions``, as the `local` generator sends them."""
    from rag.pipeline import Assistant

    assistant = Assistant(settings, Corpus(settings, embedder))
    try:
        prompts: list[Messages] = []
        for question in questions:
            hits = assistant.retriever.retrieve(question, settings.top_k)
            prompts.append(reader_messages(question, assistant.candidates(question, hits).numbered))
        return prompts
    finally:
        assistant.close()


def _llm_call(client: httpx.Client, settings: Settings, messages: Messages) -> tuple[float, float]:
    """(ms to the first generated token, ms to the end) of the bare server, streamed."""
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "messages": [m.model_dump() for m in messages],
        "max_tokens": settings.llm_max_tokens,
        "temperature": 0.0,
        "response_format": {"type": "json_object", "schema": READER_SCHEMA},
        "stream": True,
    }
    started = time.perf_counter()
    first: float | None = None
    with client.stream("POST", "/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            payload = line.removeprefix("data: ").strip()
            if first is None and payload.startswith("{"):
                choices = json.loads(payload).get("choices") or [{}]
                delta = choices[0].get("delta") or {}
                first = time.perf_counter() if delta.get("content") else None
    ended = time.perf_counter()
    return ((first or ended) - started) * 1000, (ended - started) * 1000


def _prompt_tokens(client: httpx.Client, settings: Settings, messages: Messages) -> int:
    body = {
        "model": settings.llm_model,
        "messages": [m.model_dump() for m in messages],
        "max_tokens": 1,
    }
    response = client.post("/chat/completions", json=body)
    response.raise_for_status()
    return int(response.json()["usage"]["prompt_tokens"])


def llm_ttft(
    llm_url: str, settings: Settings, prompts: Sequence[Messages], rounds: int
) -> dict[str, float]:
    """The bare LLM server on the reader's own prompts: prompt tokens, time to first
    token and total."""
    with httpx.Client(base_url=llm_url, timeout=_TIMEOUT_S) as client:
        tokens = [_prompt_tokens(client, settings, p) for p in prompts]
        _llm_call(client, settings, prompts[0])
        runs = [_llm_call(client, settings, p) for _ in range(rounds) for p in prompts]
    return {
        **percentiles([float(t) for t in tokens], prefix="prompt_tokens_"),
        **percentiles([r[0] for r in runs], prefix="ttft_"),
        **percentiles([r[1] for r in runs], prefix="total_"),
    }


def concurrency_run(
    url: str, questions: Sequence[str], clients: int, per_client: int
) -> dict[str, float]:
    """``clients`` threads, each asking ``per_client`` questions (extractive, non-streamed)."""

    def client_run(index: int) -> list[tuple[float, bool]]:
        results: list[tuple[float, bool]] = []
        with httpx.Client(base_url=url, timeout=_TIMEOUT_S) as client:
            for i in range(per_client):
                question = questions[(index + i) % len(questions)]
                started = time.perf_counter()
                try:
                    response = client.post(
                        "/v1/ask", json={"question": question, "generator": "extractive"}
                    )
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                results.append(((time.perf_counter() - started) * 1000, ok))
        return results

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = [r for batch in pool.map(client_run, range(clients)) for r in batch]
    wall_s = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(results),
        "throughput_rps": round(len(results) / wall_s, 2),
        "p95_ms": percentiles([ms for ms, _ in results])["p95"],
        "errors": sum(1 for _, ok in results if not ok),
    }
