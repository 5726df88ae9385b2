"""Server-sent events from the assistant's synchronous event stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator

from rag.errors import RagError
from rag.types import StreamEvent
from starlette.concurrency import iterate_in_threadpool


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def guarded(
    events: Iterator[StreamEvent], on_error: Callable[[RagError | Exception], StreamEvent]
) -> AsyncIterator[StreamEvent]:
    """Run the blocking generator off the event loop; turn a failure into a last event."""
    try:
        async for event in iterate_in_threadpool(events):
            yield event
    except RagError as exc:
        yield on_error(exc)
    except Exception as exc:  # a stream has already sent 200: report, never raise
        yield on_error(exc)


def error_event(exc: RagError | Exception) -> StreamEvent:
    message = str(exc) if isinstance(exc, RagError) else "internal error (see the server log)"
    return StreamEvent(event="error", message=message)
