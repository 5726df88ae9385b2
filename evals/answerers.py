"""Ways to answer a gold item: the in-process assistant, the llama-index baseline, or a
running server's /v1/ask; and the sets of them an eval run opens and closes together."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, get_args

import httpx
from pydantic import ValidationError

from evals.gold import GoldItem
from evals.runner import Answerer, Outcome, SourceTexts
from rag.errors import InputError, RagError
from rag.settings import GeneratorName, Settings
from rag.types import Answer

if TYPE_CHECKING:
    from rag.pipeline import Assistant
    from rag.retrieval.corpus import Corpus

CORE_GENERATORS: tuple[GeneratorName, ...] = get_args(GeneratorName)
LLAMAINDEX = "llamaindex-default"
GENERATORS = (*CORE_GENERATORS, LLAMAINDEX)
Answerers = dict[str, Answerer]


def as_core(name: str) -> GeneratorName:
    """``name`` as one of the assistant's own generators; InputError for anything else."""
    for generator in CORE_GENERATORS:
        if generator == name:
            return generator
    raise InputError(f"{name!r} is not one of the assistant's generators {CORE_GENERATORS}")


def assistant_answerer(
    assistant: Assistant, generator: GeneratorName, top_k: int | None
) -> Answerer:
    """Answers through ``Assistant.run``, which also exposes the retrieved hits."""

    def answer(item: GoldItem) -> Outcome:
        turn = assistant.run(item.question, history=item.history, top_k=top_k, generator=generator)
        retrieved = [(hit.chunk.source, hit.chunk.text) for hit in turn.hits]
        return Outcome(answer=turn.answer, retrieved=retrieved)

    return answer


@contextmanager
def local_answerers(
    corpus: Corpus, names: Sequence[str], top_k: int
) -> Iterator[tuple[Answerers, SourceTexts]]:
    """Answerers over an open corpus: one assistant serves every core generator, and the
    citations' source texts come from the corpus manifest."""
    assistant: Assistant | None = None
    try:
        answerers: Answerers = {}
        for name in names:
            if name == LLAMAINDEX:
                from evals.baseline_llamaindex import llamaindex_answerer

                answerers[name] = llamaindex_answerer(corpus.settings, corpus, top_k)
                continue
            from rag.pipeline import Assistant

            assistant = assistant or Assistant(corpus.settings, corpus=corpus)
            answerers[name] = assistant_answerer(assistant, as_core(name), top_k)
        yield answerers, corpus.manifest.article_text
    finally:
        if assistant is not None:
            assistant.close()


def ask_url(base_url: str) -> str:
    """The /v1/ask endpoint of a server given as ``http://host:port`` (or ``.../v1``)."""
    base = base_url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise InputError(f"--api must be an http(s) URL, not {base_url!r}")
    return f"{base}/ask" if base.endswith("/v1") else f"{base}/v1/ask"


def api_answerer(
    client: httpx.Client, base_url: str, generator: GeneratorName, top_k: int | None
) -> Answerer:
    """Posts each item to the server; it returns no hits, so retrieval is not judged."""
    url = ask_url(base_url)

    def answer(item: GoldItem) -> Outcome:
        body = {
            "question": item.question,
            "history": [turn.model_dump() for turn in item.history],
            "top_k": top_k,
            "generator": generator,
        }
        try:
            response = client.post(url, json=body)
        except httpx.HTTPError as exc:
            raise RagError(f"cannot reach the API at {url}: {exc}") from exc
        if response.status_code != 200:
            raise RagError(f"{url} answered {response.status_code}: {response.text[:300]}")
        try:
            return Outcome(answer=Answer.model_validate_json(response.content))
        except ValidationError as exc:
            raise RagError(f"{url} returned something that is not an Answer: {exc}") from exc

    return answer


@contextmanager
def api_answerers(
    settings: Settings, base_url: str, names: Sequence[str], top_k: int | None
) -> Iterator[tuple[Answerers, None]]:
    """Answerers over a running server. It serves no source texts, so none are read and
    the citation metrics that need them are not measured."""
    if LLAMAINDEX in names:
        raise InputError(f"{LLAMAINDEX} runs in-process only; the API does not serve it")
    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    # Generous: a local LLM on two cores can take many seconds per answer.
    with httpx.Client(headers=headers, timeout=settings.timeout_s * 4) as client:
        yield {name: api_answerer(client, base_url, as_core(name), top_k) for name in names}, None
