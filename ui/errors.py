"""Every error the API returns is one JSON shape, {"error": {"message", "type"}}, never a trace."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from rag.errors import RagError

from .schemas import NOT_BLANK

log = logging.getLogger("rag.api")


def json_error(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    kind: str | None = None,
) -> JSONResponse:
    """The error response; ``kind`` defaults to the status's name ("content_too_large")."""
    kind = kind or HTTPStatus(status).phrase.lower().replace(" ", "_")
    body = {"error": {"message": message, "type": kind}}
    return JSONResponse(status_code=status, content=body, headers=headers)


def _validation_message(error: Mapping[str, Any]) -> tuple[int, str]:
    context = error.get("ctx") or {}
    if error.get("type") == "json_invalid":
        reason = context.get("error", "malformed JSON")
        return 400, f"the body is not valid JSON: {reason} (at character {error['loc'][-1]})"
    where = ".".join(str(part) for part in error.get("loc", ()))
    if error.get("type") == "string_pattern_mismatch" and context.get("pattern") == NOT_BLANK:
        return 422, f"{where}: must not be blank"
    return 422, f"{where}: {error.get('msg', 'invalid request')}"


def _allowed_methods(scope: Scope) -> str:
    """Every method the path answers: Starlette's 405 names only the first route's."""
    allowed = [
        method
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE")
        if any(
            route.matches({**scope, "method": method})[0] == Match.FULL
            for route in scope["app"].router.routes
        )
    ]
    return ", ".join(allowed)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        return json_error(exc.http_status, str(exc), kind=type(exc).__name__)

    # Starlette's class, not FastAPI's subclass: routing's own 404 and 405 come through here.
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request.scope)
        return json_error(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        status, message = _validation_message(errors[0] if errors else {})
        return json_error(status, message, kind="validation_error")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return json_error(500, "internal error (see the server log)")
