"""POST /v1/ask: the Answer object, or the same answer as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from rag.types import Answer

from .schemas import AskRequest, ErrorResponse
from .sse import error_event, guarded, sse

router = APIRouter(tags=["ask"])
_ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse} for code in (400, 409, 503, 504)
}
_STREAM_DOC = {
    "description": "The Answer, or with ?stream=true / Accept: text/event-stream, events "
    "`token` {text}, `citations` {citations}, `done` {answer}, `error` {message}.",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


async def _events(request: Request, body: AskRequest) -> AsyncIterator[str]:
    assistant = request.app.state.assistant
    events = assistant.stream(
        body.question, history=body.history, top_k=body.top_k,
        generator=body.generator, sources=body.sources,
    )
    async for event in guarded(events, error_event):
        if event.event == "done" and event.answer is not None:
            request.app.state.telemetry.observe_timings(event.answer.timings_ms)
        yield sse(event.event, event.model_dump(exclude_none=True, exclude={"event"}))


@router.post("/ask", response_model=Answer, responses={**_ERRORS, 200: _STREAM_DOC})
async def ask(
    body: AskRequest, request: Request, stream: Annotated[bool, Query()] = False
) -> Answer | StreamingResponse:
    """Answer a question with verified citations."""
    if stream or "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(_events(request, body), media_type="text/event-stream")
    answer: Answer = await run_in_threadpool(
        request.app.state.assistant.ask, body.question, history=body.history,
        top_k=body.top_k, generator=body.generator, sources=body.sources,
    )
    request.app.state.telemetry.observe_timings(answer.timings_ms)
    return answer
