"""Every error the API returns has OpenAI's shape, {"error": {"message", "type", "param",
"code"}}, never a trace, so OpenAI clients raise their own typed exceptions for it."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.types import Scope

from rag.errors import InputError, RagError

from .schemas import NOT_BLANK, ErrorType

log = logging.getLogger("rag.api")
_TYPES: dict[int, ErrorType] = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


class UnsupportedParameterError(InputError):
    """A request field the server cannot honour; ``param`` names it, as OpenAI's errors do."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


def error_type(status: int) -> ErrorType:
    """OpenAI's error type for an HTTP status: any other 4xx is the request's fault."""
    if status >= 500:
        return "server_error"
    return _TYPES.get(status, "invalid_request_error")


def error_body(
    status: int, message: str, *, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type(status), "param": param, "code": code}}


def json_error(
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    *,
    param: str | None = None,
    code: str | None = None,
) -> JSONResponse:
    body = error_body(status, message, param=param, code=code)
    return JSONResponse(status_code=status, content=body, headers=headers)


def error_code(exc: Exception) -> str:
    """A stable machine name for an expected failure: IndexLockedError is "index_locked"."""
    name = type(exc).__name__.removesuffix("Error")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _validation_error(error: Mapping[str, Any]) -> JSONResponse:
    context = error.get("ctx") or {}
    location = [str(part) for part in error.get("loc", ())]
    if error.get("type") == "json_invalid":
        reason = context.get("error", "malformed JSON")
        message = f"the body is not valid JSON: {reason} (at character {location[-1]})"
        return json_error(400, message, code="json_invalid")
    where = ".".join(location)
    # The field's path inside the body, as OpenAI's `param` names it ("messages.0.role").
    param = ".".join(location[1:]) if location[:1] == ["body"] else where
    message = f"{where}: {error.get('msg', 'invalid request')}"
    if error.get("type") == "string_pattern_mismatch" and context.get("pattern") == NOT_BLANK:
        message = f"{where}: must not be blank"
    return json_error(422, message, param=param or None, code=error.get("type"))


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
        param = exc.param if isinstance(exc, UnsupportedParameterError) else None
        return json_error(exc.http_status, str(exc), param=param, code=error_code(exc))

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
        return _validation_error(errors[0] if errors else {})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return json_error(500, "internal error (see the server log)")
