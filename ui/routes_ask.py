"""POST /v1/ask: the Answer object, or the same answer as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sse_starlette import EventSourceResponse

from rag.types import Answer

from .blocking import run_blocking
from .event_schemas import ASK_EVENT
from .schemas import AskRequest, clean_question, error_responses
from .sse import Event, StreamFailure, event_stream, guarded, sse_data

router = APIRouter(prefix="/v1", tags=["ask"])
_STREAM_DOC = {
    "description": "The Answer, or with ?stream=true / Accept: text/event-stream, events "
    "`token` {text}, `citations` {citations}, `done` {answer}, `error` {message}.",
    "content": {"text/event-stream": {"schema": ASK_EVENT}},
}


def _options(body: AskRequest) -> dict[str, Any]:
    return {
        "history": body.history,
        "top_k": body.top_k,
        "generator": body.generator,
        "scope": body.scope(),
    }


async def _events(request: Request, question: str, options: dict[str, Any]) -> AsyncIterator[Event]:
    events = request.app.state.assistant.stream(question, **options)
    async for event in guarded(events, request.app.state.settings.request_timeout_s):
        if isinstance(event, StreamFailure):
            yield sse_data({"message": event.message}, "error")
            return
        if event.event == "done" and event.answer is not None:
            request.app.state.telemetry.observe_timings(event.answer.timings_ms)
        yield sse_data(event.model_dump(exclude_none=True, exclude={"event"}), event.event)


@router.post(
    "/ask",
    response_model=Answer,
    responses={**error_responses(400, 413, 503, 504), 200: _STREAM_DOC},
)
async def ask(
    body: AskRequest,
    request: Request,
    stream: Annotated[bool, Query(description="Stream server-sent events.")] = False,
) -> Answer | EventSourceResponse:
    """Answer a question with verified citations."""
    question = clean_question(body.question)
    options = _options(body)  # a bad filter is a 400, also before a stream starts
    if stream or "text/event-stream" in request.headers.get("accept", ""):
        ping_s = request.app.state.settings.sse_ping_s
        return event_stream(_events(request, question, options), ping_s)
    answer: Answer = await run_blocking(request.app.state.assistant.ask, question, **options)
    request.app.state.telemetry.observe_timings(answer.timings_ms)
    return answer
