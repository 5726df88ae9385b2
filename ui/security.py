"""Bearer-token auth for the /v1 routes when RAG_API_KEY is set.

It is a middleware, not a route dependency, because FastAPI reads (and spools) a
request's body before it runs dependencies: a client without the key must get its 401
before the server reads a byte of its upload.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import json_error

_SCHEME = "bearerAuth"
_UNAUTHORIZED = "missing or invalid API key (Authorization: Bearer KEY)"


def _authorized(authorization: str, expected: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    # compare_digest: the time taken must not reveal how much of the key matched.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


class BearerAuth:
    """ASGI middleware: 401 JSON for requests under ``prefix`` without the Bearer key."""

    def __init__(self, app: ASGIApp, prefix: str, api_key: str) -> None:
        self.app = app
        self.prefix = prefix
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            header = Headers(scope=scope).get("authorization", "")
            if not _authorized(header, self.api_key):
                response = json_error(
                    401, _UNAUTHORIZED, {"WWW-Authenticate": "Bearer"}, code="invalid_api_key"
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def document_bearer_auth(app: FastAPI, prefix: str) -> None:
    """Declare the scheme, and the 401 it answers, on every operation under ``prefix``."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        # build() caches its result in app.openapi_schema: this edit happens once.
        return app.openapi_schema or _with_bearer(build(), prefix)

    app.openapi = openapi  # type: ignore[method-assign]


def _with_bearer(schema: dict[str, Any], prefix: str) -> dict[str, Any]:
    schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[_SCHEME] = {"type": "http", "scheme": "bearer"}
    unauthorized = {
        "description": "Missing or invalid API key",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    for path, operations in schema["paths"].items():
        if path.startswith(prefix):
            for operation in operations.values():
                operation["security"] = [{_SCHEME: []}]
                operation["responses"]["401"] = unauthorized
    return schema
