"""The FastAPI app: own endpoints, the OpenAI-compatible ones, health, metrics (and /ui)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import rag  # noqa: F401  (offline environment first)
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from rag.assistant import Assistant
from rag.errors import RagError
from rag.settings import Settings, get_settings

from . import routes_ask, routes_docs, routes_openai
from .schemas import ErrorResponse
from .security import require_api_key
from .telemetry import Telemetry, middleware

log = logging.getLogger("rag.api")


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"message": message, "type": kind}})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RagError)
    async def rag_error(_: Request, exc: RagError) -> JSONResponse:
        return _error(exc.http_status, str(exc), type(exc).__name__)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        response = _error(exc.status_code, str(exc.detail), "http_error")
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}", "validation_error")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal error (see the server log)", "internal_error")


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """Build the app; the assistant (models, store) opens once, at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.assistant = assistant or await run_in_threadpool(Assistant, settings)
        yield
        app.state.assistant.close()

    app = FastAPI(
        title="news-rag",
        version="0.1.0",
        summary="Cited answers over a folder of news articles",
        lifespan=lifespan,
        responses={401: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    )
    app.state.settings = settings
    app.state.telemetry = Telemetry()
    app.middleware("http")(middleware(app.state.telemetry))
    _install_error_handlers(app)
    secured = [Depends(require_api_key)]
    app.include_router(routes_ask.router, prefix="/v1", dependencies=secured)
    app.include_router(routes_openai.router, prefix="/v1", dependencies=secured)
    app.include_router(routes_docs.router, prefix="/v1", dependencies=secured)

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["health"], responses={503: {"description": "not ready"}})
    async def readyz(request: Request) -> JSONResponse:
        checks = await run_in_threadpool(request.app.state.assistant.readiness)
        return JSONResponse(status_code=200 if all(checks.values()) else 503,
                            content={"ready": all(checks.values()), **checks})

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    async def metrics(request: Request) -> PlainTextResponse:
        body = request.app.state.telemetry.render()
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4")

    return app
