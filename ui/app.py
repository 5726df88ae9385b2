"""The FastAPI app: own endpoints, the OpenAI-compatible ones, health, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline

import rag  # noqa: F401  (offline environment first)
from index.job_runner import JobRunner
from rag.pipeline import Assistant
from rag.settings import Settings, get_settings

from . import routes_ask, routes_docs, routes_jobs, routes_openai
from .blocking import run_blocking
from .body_limit import BodyLimit
from .deadline import Deadline
from .errors import install_error_handlers
from .schemas import MAX_JSON_BODY_BYTES, Readiness, error_responses
from .security import BearerAuth, document_bearer_auth
from .telemetry import Telemetry, TelemetryMiddleware

# What auth, body limits and the request timeout guard: the API, not the mounted chat page.
API_PREFIX = "/v1/"


def create_app(settings: Settings | None = None, assistant: Assistant | None = None) -> FastAPI:
    """Build the app; the assistant (models, store) opens once, at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = assistant if assistant is not None else await run_blocking(Assistant, settings)
        app.state.assistant = opened
        # Marks the jobs of a process that died failed; the API and the chat page share it.
        app.state.jobs = await run_blocking(JobRunner, opened.corpus)
        app.state.telemetry.count_tokens_with(opened.tokens_generated)
        yield
        await run_blocking(app.state.jobs.close)
        opened.close()

    # FastAPIOffline: /docs from Swagger UI assets in the package, not from a CDN, so it
    # works offline and tells no third party who uses the tool. No /redoc: its bundle
    # still fetches a logo from cdn.redoc.ly.
    app = FastAPIOffline(
        title="news-rag",
        version="0.1.0",
        summary="Cited answers over a folder of news articles",
        lifespan=lifespan,
        # Swagger UI would send the schema to validator.swagger.io for its badge.
        swagger_ui_parameters={"validatorUrl": None},
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.telemetry = Telemetry()
    install_error_handlers(app)
    _add_middleware(app, settings)
    # The routers carry their /v1 prefix themselves, so a matched route names its full path.
    for router in (routes_ask.router, routes_openai.router, routes_docs.router, routes_jobs.router):
        app.include_router(router, responses=error_responses(422, 504))
    _add_health_routes(app)
    return app


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    # The last added runs first: metrics see every request; auth, then the body limit,
    # come before any of the body is read.
    app.add_middleware(Deadline, prefix=API_PREFIX, timeout_s=settings.request_timeout_s)
    limits = routes_docs.upload_body_limits(settings.max_file_mb, settings.max_upload_files)
    app.add_middleware(BodyLimit, prefix=API_PREFIX, default=MAX_JSON_BODY_BYTES, limits=limits)
    if settings.api_key:
        app.add_middleware(BearerAuth, prefix=API_PREFIX, api_key=settings.api_key)
        document_bearer_auth(app, API_PREFIX)
    app.add_middleware(TelemetryMiddleware, telemetry=app.state.telemetry)


def _add_health_routes(app: FastAPI) -> None:
    """Open even when RAG_API_KEY is set, so they say nothing but up/ready."""

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get(
        "/readyz", tags=["health"], response_model=Readiness, responses={503: {"model": Readiness}}
    )
    async def readyz(request: Request) -> JSONResponse:
        """The vector store and the LLM server answer (503 otherwise)."""
        checks = await run_blocking(request.app.state.assistant.readiness)
        ready = Readiness(ready=all(checks.values()), **checks)
        return JSONResponse(status_code=200 if ready.ready else 503, content=ready.model_dump())

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    async def metrics(request: Request) -> PlainTextResponse:
        """Prometheus metrics of this process."""
        body = request.app.state.telemetry.render()
        return PlainTextResponse(body, media_type="text/plain; version=0.0.4")
