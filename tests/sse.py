"""Reading server-sent event bodies in tests: our `/v1/ask` events and OpenAI's chunks.

The server sends a comment line (`: ping`) whenever a stream is idle (RAG_SSE_PING_S), so
a slow answer's body holds pings between its events; every parser here skips them.
"""

from __future__ import annotations

import json
from typing import Any


def sse_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """(event name, decoded data) per event, in order; comments and blank lines skipped."""
    events, name = [], "message"
    for line in body.splitlines():
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((name, json.loads(line.removeprefix("data: "))))
            name = "message"
    return events


def chat_chunks(body: str) -> list[dict[str, Any]]:
    """The chunks of an OpenAI chat stream, which must end with `data: [DONE]`."""
    data = [line.removeprefix("data: ") for line in body.splitlines() if line.startswith("data: ")]
    assert data and data[-1] == "[DONE]", body[-300:]
    return [json.loads(item) for item in data[:-1]]
