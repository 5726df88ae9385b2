"""Server-sent events from the assistant's synchronous event stream, sent by sse-starlette.

sse-starlette writes a keep-alive comment whenever a stream has been quiet for
RAG_SSE_PING_S (a proxy that drops idle connections would otherwise cut an answer while
the LLM thinks), and cancels the stream when the client disconnects: the blocking
pipeline is then never advanced past the step it is in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from sse_starlette import EventSourceResponse

from rag.errors import RagError
from rag.types import StreamEvent

from .blocking import iterate_blocking
from .errors import error_body, error_code

log = logging.getLogger("rag.api")
# no-cache: no cache may answer a question from a stored stream. X-Accel-Buffering: nginx
# would otherwise hold the events back until its buffer fills.
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
Event = dict[str, str]


@dataclass(frozen=True)
class StreamFailure:
    """What ended a stream that had already sent its 200, with the status it would have had."""

    status: int
    message: str
    code: str | None = None

    def error(self) -> dict[str, Any]:
        """This failure in OpenAI's error shape, {"error": {...}}."""
        return error_body(self.status, self.message, code=self.code)


def sse_data(data: object, event: str | None = None) -> Event:
    """One event: ``data`` as JSON, named ``event`` (unnamed events are "message")."""
    encoded = {"data": json.dumps(data, ensure_ascii=False)}
    return {**encoded, "event": event} if event else encoded


def event_stream(events: AsyncIterator[Event], ping_s: float) -> EventSourceResponse:
    # sep "\n": the bare line feeds every client parses, as our own streams always sent.
    return EventSourceResponse(events, ping=ping_s, sep="\n", headers=_HEADERS)


async def guarded(
    events: Iterator[StreamEvent], timeout_s: float
) -> AsyncIterator[StreamEvent | StreamFailure]:
    """Run the blocking generator off the event loop; a failure becomes a last item.

    A stream has already sent its 200 when something fails, so failures (and running
    past the request timeout) are reported in the stream instead of as a status.
    """
    try:
        async for event in iterate_blocking(events, timeout_s):
            yield event
    except TimeoutError:
        yield StreamFailure(504, f"the request took longer than {timeout_s:g}s", "timeout")
    except RagError as exc:
        yield StreamFailure(exc.http_status, str(exc), error_code(exc))
    except Exception:
        log.exception("streamed answer failed")
        yield StreamFailure(500, "internal error (see the server log)")
