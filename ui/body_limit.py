"""Request body limits, answered with 413 JSON before or while the body arrives.

FastAPI's own ``max_body_size`` replaces any response to an over-declared body with a
plain-text 413, so the API would break its one-JSON-error-shape promise; this does the
same job in that shape.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import json_error


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


class BodyLimit:
    """ASGI middleware for paths under ``prefix``: ``limits`` maps a path to its limit,
    other paths get ``default``. Paths elsewhere (the chat page) keep their own limits.

    A declared Content-Length over the limit is refused before reading; a body that
    grows past it while streaming in fails the read, which the error handlers turn
    into the same 413.
    """

    def __init__(self, app: ASGIApp, prefix: str, default: int, limits: Mapping[str, int]) -> None:
        self.app = app
        self.prefix = prefix
        self.default = default
        self.limits = dict(limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.default)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await json_error(413, _too_large(limit), code="too_large")(scope, receive, send)
            return
        received = 0

        async def receive_counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, receive_counted, send)
