"""OpenAI-compatible /v1/chat/completions and /v1/models: any chat client can use the assistant.

Citations survive in two forms: [n] markers plus a "Sources" list in the message text
(for clients that only show text), and a structured ``citations`` field on the response
and on the final stream chunk (for clients that can use it).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse

from rag.adapters.tokens import count_tokens
from rag.errors import InputError, NotFoundError
from rag.grounding.citations import parse_markers
from rag.types import MAX_INSTRUCTIONS_CHARS, Answer, CallerOptions, ChatMessage, Citation

from .blocking import run_blocking
from .cutoff import Cutoff
from .errors import UnsupportedParameterError
from .event_schemas import CHAT_CHUNK_EVENT
from .schemas import (
    MAX_HISTORY,
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    ChoiceMessage,
    ModelCard,
    ModelList,
    Usage,
    clean_question,
    error_responses,
)
from .sse import Event, StreamFailure, event_stream, guarded, sse_data

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "news-rag"
_DONE: Event = {"data": "[DONE]"}
_STREAM_DOC = {
    "description": "A chat.completion, or with `stream: true` chat.completion.chunk events "
    "ending with `data: [DONE]`; the last chunk carries `citations` and `refused`.",
    "content": {"text/event-stream": {"schema": CHAT_CHUNK_EVENT}},
}


def sources_block(citations: list[Citation]) -> str:
    if not citations:
        return ""
    lines = [f"[{c.n}] {c.source}: “{c.quote}”" for c in citations]
    return "\n\nSources:\n" + "\n".join(lines)


def _options(body: ChatCompletionRequest) -> CallerOptions:
    """System and developer messages are the caller's instructions to the reader."""
    said = [m.text().strip() for m in body.messages if m.role in ("system", "developer")]
    instructions = "\n".join(text for text in said if text) or None
    if instructions is not None and len(instructions) > MAX_INSTRUCTIONS_CHARS:
        raise InputError(
            f"the system and developer messages are too long ({len(instructions)} > "
            f"{MAX_INSTRUCTIONS_CHARS} characters)"
        )
    return CallerOptions(instructions=instructions, temperature=body.temperature)


def _split(body: ChatCompletionRequest) -> tuple[str, list[ChatMessage]]:
    """The last user message is the question; recent user/assistant turns are history."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InputError("the last message must come from the user")
    question = clean_question(turns[-1].text())
    history = [
        ChatMessage(role="user" if m.role == "user" else "assistant", content=m.text())
        for m in turns[:-1][-MAX_HISTORY:]
    ]
    return question, history


def _usage(question: str, text: str) -> Usage:
    prompt, completion = count_tokens(question), count_tokens(text)
    return Usage(
        prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
    )


def _delivered(citations: list[Citation], text: str, cutoff: Cutoff) -> list[Citation]:
    """The citations whose markers survived the caller's limits (all of them if none cut)."""
    if not cutoff.cut:
        return citations
    shown = {n for claim in parse_markers(text) for n in claim.markers}
    return [c for c in citations if c.n in shown]


def _completion(answer: Answer, question: str, body: ChatCompletionRequest) -> ChatCompletion:
    cutoff = Cutoff(body.max_tokens, body.stop)
    text = cutoff.apply(answer.answer)
    citations = _delivered(answer.citations, text, cutoff)
    text += sources_block(citations)
    choice = Choice(message=ChoiceMessage(content=text), finish_reason=cutoff.finish_reason)
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=body.model,
        choices=[choice],
        usage=_usage(question, text),
        citations=citations,
        refused=answer.refused,
    )


class _Chunks:
    """Builds the chat.completion.chunk events of one streamed completion."""

    def __init__(self, model: str) -> None:
        self.id, self.model, self.created = f"chatcmpl-{uuid.uuid4().hex}", model, int(time.time())

    def __call__(
        self, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any
    ) -> Event:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return sse_data(body)


async def _stream(
    request: Request,
    question: str,
    history: list[ChatMessage],
    body: ChatCompletionRequest,
    options: CallerOptions,
) -> AsyncIterator[Event]:
    chunk, sent, cutoff = _Chunks(body.model), [], Cutoff(body.max_tokens, body.stop)
    yield chunk({"role": "assistant", "content": ""})
    events = request.app.state.assistant.stream(
        question, history=history, top_k=body.top_k, scope=body.scope(), options=options
    )
    async for event in guarded(events, request.app.state.settings.request_timeout_s):
        if isinstance(event, StreamFailure):
            # As OpenAI-compatible servers do: an error object in place of a chunk, which
            # the official client raises as APIError. No finish_reason: nothing was finished.
            yield sse_data(event.error())
            yield _DONE
            return
        if event.event == "token" and (text := cutoff.feed(event.text or "")):
            sent.append(text)
            yield chunk({"content": text})
        elif event.event == "done" and event.answer is not None:
            answer = event.answer
            request.app.state.telemetry.observe_timings(answer.timings_ms)
            if text := cutoff.finish():
                sent.append(text)
                yield chunk({"content": text})
            delivered = _delivered(answer.citations, "".join(sent), cutoff)
            if sources := sources_block(delivered):
                sent.append(sources)
                yield chunk({"content": sources})
            citations = [c.model_dump() for c in delivered]
            finish = cutoff.finish_reason
            yield chunk({}, finish, citations=citations, refused=answer.refused)
    if body.stream_options is not None and body.stream_options.include_usage:
        yield chunk(None, usage=_usage(question, "".join(sent)).model_dump())
    yield _DONE


def _refuse_unsupported(body: ChatCompletionRequest) -> None:
    if (param := body.unsupported()) is not None:
        raise UnsupportedParameterError(
            f"{param} is not supported: news-rag gives one cited text answer per request",
            param=param,
        )


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={**error_responses(400, 413, 503, 504), 200: _STREAM_DOC},
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request
) -> ChatCompletion | EventSourceResponse:
    """OpenAI chat completion whose answer is grounded in the ingested articles."""
    _refuse_unsupported(body)
    question, history = _split(body)
    options, scope = _options(body), body.scope()
    if body.stream:
        ping_s = request.app.state.settings.sse_ping_s
        return event_stream(_stream(request, question, history, body, options), ping_s)
    answer: Answer = await run_blocking(
        request.app.state.assistant.ask,
        question,
        history=history,
        top_k=body.top_k,
        scope=scope,
        options=options,
    )
    request.app.state.telemetry.observe_timings(answer.timings_ms)
    return _completion(answer, question, body)


@router.get("/models", response_model=ModelList)
async def models() -> ModelList:
    """The assistant, listed as a model."""
    return ModelList(data=[ModelCard(id=MODEL_ID)])


class ModelNotFoundError(NotFoundError):
    """A model id other than the assistant's."""


@router.get("/models/{model_id}", response_model=ModelCard, responses=error_responses(404))
async def model(model_id: str) -> ModelCard:
    """The assistant's model card (404 for any other id)."""
    if model_id != MODEL_ID:
        raise ModelNotFoundError(f"no model {model_id!r}: this server serves {MODEL_ID!r}")
    return ModelCard(id=MODEL_ID)
