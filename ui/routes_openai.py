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
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from rag.errors import InputError
from rag.types import Answer, ChatMessage, Citation

from .schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    Choice,
    ChoiceMessage,
    ErrorResponse,
    ModelCard,
    ModelList,
    Usage,
    clean_question,
)
from .sse import error_event, guarded

router = APIRouter(tags=["openai"])
MODEL_ID = "news-rag"


def sources_block(citations: list[Citation]) -> str:
    if not citations:
        return ""
    lines = [f"[{c.n}] {c.source}: “{c.quote}”" for c in citations]
    return "\n\nSources:\n" + "\n".join(lines)


def _split(body: ChatCompletionRequest) -> tuple[str, list[ChatMessage]]:
    """The last user message is the question; earlier user/assistant turns are history."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InputError("the last message must come from the user")
    try:
        question = clean_question(turns[-1].text())
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    history = [ChatMessage(role=m.role, content=m.text()) for m in turns[:-1]]  # type: ignore[arg-type]
    return question, history


def _completion(answer: Answer, model: str) -> ChatCompletion:
    text = answer.answer + sources_block(answer.citations)
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}", created=int(time.time()), model=model,
        choices=[Choice(message=ChoiceMessage(content=text))],
        usage=Usage(completion_tokens=len(text.split()), total_tokens=len(text.split())),
        citations=answer.citations, refused=answer.refused,
    )


def _chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


async def _stream(request: Request, question: str, history: list[ChatMessage],
                  body: ChatCompletionRequest) -> AsyncIterator[str]:
    cid, model = f"chatcmpl-{uuid.uuid4().hex}", body.model
    yield _chunk(cid, model, {"role": "assistant", "content": ""})
    events = request.app.state.assistant.stream(question, history=history, top_k=body.top_k)
    async for event in guarded(events, error_event):
        if event.event == "token" and event.text:
            yield _chunk(cid, model, {"content": event.text})
        elif event.event == "error":
            yield _chunk(cid, model, {"content": f"\n\n[error: {event.message}]"}, "stop")
        elif event.event == "done" and event.answer is not None:
            answer = event.answer
            if sources := sources_block(answer.citations):
                yield _chunk(cid, model, {"content": sources})
            yield _chunk(cid, model, {}, "stop",
                         citations=[c.model_dump() for c in answer.citations],
                         refused=answer.refused)
    yield "data: [DONE]\n\n"


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={400: {"model": ErrorResponse}, 503: {"model": ErrorResponse}})
async def chat_completions(
    body: ChatCompletionRequest, request: Request
) -> ChatCompletion | StreamingResponse:
    """OpenAI chat completion whose answer is grounded in the ingested articles."""
    question, history = _split(body)
    if body.stream:
        return StreamingResponse(_stream(request, question, history, body),
                                 media_type="text/event-stream")
    answer: Answer = await run_in_threadpool(
        request.app.state.assistant.ask, question, history=history, top_k=body.top_k
    )
    request.app.state.telemetry.observe_timings(answer.timings_ms)
    return _completion(answer, body.model)


@router.get("/models", response_model=ModelList)
async def models() -> ModelList:
    """The assistant, listed as a model."""
    return ModelList(data=[ModelCard(id=MODEL_ID)])
