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

from rag.errors import InputError, NotFoundError
from rag.tokens import count_tokens
from rag.types import Answer, ChatMessage, Citation

from .blocking import run_blocking
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


def _completion(answer: Answer, question: str, model: str) -> ChatCompletion:
    text = answer.answer + sources_block(answer.citations)
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=model,
        choices=[Choice(message=ChoiceMessage(content=text))],
        usage=_usage(question, text),
        citations=answer.citations,
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
    request: Request, question: str, history: list[ChatMessage], body: ChatCompletionRequest
) -> AsyncIterator[Event]:
    chunk, sent = _Chunks(body.model), []
    yield chunk({"role": "assistant", "content": ""})
    events = request.app.state.assistant.stream(question, history=history, top_k=body.top_k)
    async for event in guarded(events, request.app.state.settings.request_timeout_s):
        if isinstance(event, StreamFailure):
            # As OpenAI-compatible servers do: an error object in place of a chunk, which
            # the official client raises as APIError. No finish_reason: nothing was finished.
            yield sse_data(event.error())
            yield _DONE
            return
        if event.event == "token" and event.text:
            sent.append(event.text)
            yield chunk({"content": event.text})
        elif event.event == "done" and event.answer is not None:
            answer = event.answer
            request.app.state.telemetry.observe_timings(answer.timings_ms)
            if sources := sources_block(answer.citations):
                sent.append(sources)
                yield chunk({"content": sources})
            citations = [c.model_dump() for c in answer.citations]
            yield chunk({}, "stop", citations=citations, refused=answer.refused)
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
    if body.stream:
        ping_s = request.app.state.settings.sse_ping_s
        return event_stream(_stream(request, question, history, body), ping_s)
    answer: Answer = await run_blocking(
        request.app.state.assistant.ask, question, history=history, top_k=body.top_k
    )
    request.app.state.telemetry.observe_timings(answer.timings_ms)
    return _completion(answer, question, body.model)


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
