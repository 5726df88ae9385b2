"""A fault-injecting HTTP proxy between the API and a real LLM server.

Tests switch `mode` between requests: ``pass`` forwards to the real server; the others
are the ways a server fails in production: it dies before answering (``reset``), dies
mid-response (``cut``), answers 200 with garbage (``garbage``: not JSON, ``bad_sse``: a
truncated event stream, ``wrong_shape``: JSON that is not the API's), or never answers
(``hang``).
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlparse

Mode = Literal["pass", "reset", "cut", "garbage", "bad_sse", "wrong_shape", "hang", "invalid_json"]
BAD_MODES: tuple[Mode, ...] = ("reset", "cut", "garbage", "bad_sse", "wrong_shape", "hang")
_GARBAGE = b'{"id": "cmpl-1", "object": "text_completion", "choices": [{"text": "Kim Jo'
_BAD_SSE = b'data: {"id": "cmpl-1", "object": "text_completion", "choices": [{"te\n\n'
_WRONG_SHAPE = b'{"object": "text_completion", "choices": [{"index": 0}], "data": "none"}'
# A healthy server whose model ignored the format: a real completion, but not the JSON the
# reader asked for (only answers are replaced; its model list still answers).
_NOT_THE_FORMAT = (
    b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m", "choices": '
    b'[{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", '
    b'"content": "I think it was the two ministers."}}]}'
)
_CANNED = {
    "garbage": ("application/json", _GARBAGE),
    "bad_sse": ("text/event-stream", _BAD_SSE),
    "wrong_shape": ("application/json", _WRONG_SHAPE),
}
_UPSTREAM_TIMEOUT_S = 300.0


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a connection this proxy cut on purpose is not worth a traceback


class FaultProxy:
    """Listens on a free loopback port; `url` is the OpenAI-style base URL (…/v1)."""

    def __init__(self, upstream_base_url: str) -> None:
        upstream = urlparse(upstream_base_url)
        self._upstream = (upstream.hostname or "127.0.0.1", upstream.port or 80)
        self._mode: Mode = "pass"
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.forwarded_ok = 0  # 200s the real server gave to completion requests
        self.requests = 0
        self.completion_bodies: list[bytes] = []  # what completion requests asked for
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
            # Hung requests end (unanswered) when the fault is lifted.
            self._release.set()
            self._release = threading.Event()

    def close(self) -> None:
        self.set_mode("pass")
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real server: pooled connections

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        with self._lock:
            mode, release = self._mode, self._release
            self.requests += 1
            if handler.path.endswith("/completions"):
                self.completion_bodies.append(body)
        if mode == "hang":
            release.wait()
            _drop(handler)
        elif mode == "reset":
            _drop(handler)
        elif mode in _CANNED:
            _reply(handler, 200, *_CANNED[mode])
            _drop(handler)
        elif mode == "invalid_json" and handler.command == "POST":
            _reply(handler, 200, "application/json", _NOT_THE_FORMAT)
        else:
            status, kind, answer = self._forward(handler, body)
            if mode == "cut":
                _reply(handler, status, kind, answer, send=len(answer) // 2)
                _drop(handler)
                return
            if status == 200 and handler.path.endswith("/completions"):
                with self._lock:
                    self.forwarded_ok += 1
            _reply(handler, status, kind, answer)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, bytes]:
        # The whole upstream answer is read first: the client never streams from the LLM,
        # and a fixed Content-Length lets `cut` stop provably mid-body.
        conn = http.client.HTTPConnection(*self._upstream, timeout=_UPSTREAM_TIMEOUT_S)
        try:
            headers = {"Content-Type": handler.headers.get("Content-Type", "application/json")}
            conn.request(handler.command, handler.path, body=body or None, headers=headers)
            response = conn.getresponse()
            kind = response.getheader("Content-Type", "application/json")
            return response.status, kind, response.read()
        finally:
            conn.close()


def _reply(
    handler: BaseHTTPRequestHandler, status: int, kind: str, body: bytes, send: int | None = None
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body if send is None else body[:send])
    handler.wfile.flush()


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection at once, whatever was (not) sent: the server died."""
    handler.close_connection = True
    with contextlib.suppress(OSError):  # the client may have gone first
        handler.connection.shutdown(socket.SHUT_RDWR)
