"""The request timeout: a request that has not begun its response in time gets 504 JSON."""

from __future__ import annotations

import math

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import json_error


class Deadline:
    """ASGI middleware cancelling a request under ``prefix`` after ``timeout_s`` without a
    response. Paths elsewhere (the chat page and its long-lived event streams) are left be.

    A streamed response has begun once its first event is sent; from then on its own
    budget (see `sse.guarded`) ends it with an error event, since a 504 can no longer
    be sent. Blocking work must run through `blocking.run_blocking` to be cancellable.
    """

    def __init__(self, app: ASGIApp, prefix: str, timeout_s: float) -> None:
        self.app = app
        self.prefix = prefix
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        started = False
        with anyio.CancelScope(deadline=anyio.current_time() + self.timeout_s) as budget:

            async def send_and_note(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    budget.deadline = math.inf
                await send(message)

            await self.app(scope, receive, send_and_note)
        if budget.cancelled_caught and not started:
            message = f"the request took longer than {self.timeout_s:g}s"
            await json_error(504, message, code="timeout")(scope, receive, send)
