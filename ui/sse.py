"""Server-sent events from the assistant's synchronous event stream."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator

from rag.errors import RagError
from rag.types import StreamEvent

from .blocking import iterate_blocking

log = logging.getLogger("rag.api")


def sse(event: str, data: object) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def guarded(events: Iterator[StreamEvent], timeout_s: float) -> AsyncIterator[StreamEvent]:
    """Run the blocking generator off the event loop; a failure becomes a last `error` event.

    A stream has already sent its 200 when something fails, so failures (and running
    past the request timeout) are reported in the stream instead of as a status.
    """
    try:
        async for event in iterate_blocking(events, timeout_s):
            yield event
    except TimeoutError:
        yield _error(f"the request took longer than {timeout_s:g}s")
    except RagError as exc:
        yield _error(str(exc))
    except Exception:
        log.exception("streamed answer failed")
        yield _error("internal error (see the server log)")


def _error(message: str) -> StreamEvent:
    return StreamEvent(event="error", message=message)
