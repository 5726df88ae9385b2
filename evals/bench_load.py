"""What a client of `rag serve` sees: time to first token, total time, load behaviour.

Time to first token is compared with the LLM server's own, measured directly for the
same prompt our pipeline builds, so the difference is our overhead (retrieval, the
grounding check, and waiting for the whole draft before the verified text streams).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from evals.bench_timing import percentiles
from rag.corpus import Corpus
from rag.embedders import Embedder
from rag.prompts import Prompt
from rag.settings import Settings

_TIMEOUT_S = 120.0


def _stream_ask(client: httpx.Client, question: str, generator: str) -> tuple[float, float]:
    """(ms to the first `token` event, ms to the end) of one streamed answer."""
    started = time.perf_counter()
    first: float | None = None
    body = {"question": question, "generator": generator}
    with client.stream("POST", "/v1/ask", params={"stream": "true"}, json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line == "event: error":
                raise RuntimeError(f"the API streamed an error for {question!r}")
            if first is None and line == "event: token":
                first = time.perf_counter()
    ended = time.perf_counter()
    return ((first or ended) - started) * 1000, (ended - started) * 1000


def api_stream_timings(
    url: str, questions: Sequence[str], generator: str, rounds: int
) -> dict[str, float]:
    """p50/p95 time to first token and total, one warm-up answer first."""
    with httpx.Client(base_url=url, timeout=_TIMEOUT_S) as client:
        _stream_ask(client, questions[0], generator)
        runs = [_stream_ask(client, q, generator) for _ in range(rounds) for q in questions]
    return {
        **percentiles([ttft for ttft, _ in runs], prefix="ttft_"),
        **percentiles([total for _, total in runs], prefix="total_"),
        "n": len(runs),
    }


def answer_prompts(
    settings: Settings, embedder: Embedder, questions: Sequence[str]
) -> list[Prompt]:
    """The completion prompts the `local` generator sends for ``questions``."""
    from rag.assistant import Assistant

    assistant = Assistant(settings, Corpus(settings, embedder))
    try:
        return [assistant.local_prompt(q) for q in questions]
    finally:
        assistant.close()


def _llm_ttft(client: httpx.Client, settings: Settings, prompt: Prompt) -> float:
    body: dict[str, Any] = {
        "model": settings.llm_model,
        "prompt": prompt.text,
        "max_tokens": settings.llm_max_tokens,
        "stop": list(prompt.text_stop),
        "stream": True,
    }
    started = time.perf_counter()
    first: float | None = None
    with client.stream("POST", "/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            payload = line.removeprefix("data: ").strip()
            if first is None and payload.startswith("{"):
                choices = json.loads(payload).get("choices") or [{}]
                first = time.perf_counter() if choices[0].get("text") else None
    return ((first or time.perf_counter()) - started) * 1000


def llm_ttft(
    llm_url: str, settings: Settings, prompts: Sequence[Prompt], rounds: int
) -> dict[str, float]:
    """The LLM server's own time to first token for the prompts our pipeline sends."""
    with httpx.Client(base_url=llm_url, timeout=_TIMEOUT_S) as client:
        _llm_ttft(client, settings, prompts[0])
        runs = [_llm_ttft(client, settings, p) for _ in range(rounds) for p in prompts]
    return percentiles(runs, prefix="ttft_")


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
