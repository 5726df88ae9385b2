"""OpenAI-compatible /v1/chat/completions and /v1/models: any chat client can use the assistant.

Citations survive in two forms: [n] markers plus a "Sources" list in the message text
(for clients that only show text), and a structured ``citations`` field on the response
and on the final stream chunk (for clients that can use it).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from rag.errors import InputError
from rag.tokens import count_tokens
from rag.types import Answer, ChatMessage, Citation

from .blocking import run_blocking
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
from .sse import guarded

router = APIRouter(prefix="/v1", tags=["openai"])
MODEL_ID = "news-rag"
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
    """Serialises chat.completion.chunk events of one streamed completion."""

    def __init__(self, model: str) -> None:
        self.id, self.model, self.created = f"chatcmpl-{uuid.uuid4().hex}", model, int(time.time())

    def __call__(
        self, delta: dict[str, Any] | None, finish: str | None = None, **extra: Any
    ) -> str:
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
        body = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": choices,
            **extra,
        }
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


async def _stream(
    request: Request, question: str, history: list[ChatMessage], body: ChatCompletionRequest
) -> AsyncIterator[str]:
    chunk, sent = _Chunks(body.model), []
    yield chunk({"role": "assistant", "content": ""})
    events = request.app.state.assistant.stream(question, history=history, top_k=body.top_k)
    async for event in guarded(events, request.app.state.settings.request_timeout_s):
        if event.event == "token" and event.text:
            sent.append(event.text)
            yield chunk({"content": event.text})
        elif event.event == "error":
            yield chunk({"content": f"\n\n[error: {event.message}]"}, "stop")
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
    yield "data: [DONE]\n\n"


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={**error_responses(400, 413, 503, 504), 200: _STREAM_DOC},
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request
) -> ChatCompletion | StreamingResponse:
    """OpenAI chat completion whose answer is grounded in the ingested articles."""
    question, history = _split(body)
    if body.stream:
        return StreamingResponse(
            _stream(request, question, history, body), media_type="text/event-stream"
        )
    answer: Answer = await run_blocking(
        request.app.state.assistant.ask, question, history=history, top_k=body.top_k
    )
    request.app.state.telemetry.observe_timings(answer.timings_ms)
    return _completion(answer, question, body.model)


@router.get("/models", response_model=ModelList)
async def models() -> ModelList:
    """The assistant, listed as a model."""
    return ModelList(data=[ModelCard(id=MODEL_ID)])
