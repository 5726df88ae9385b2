"""The ASGI application uvicorn imports (`ui.server:app`): API with the chat page mounted."""

from __future__ import annotations

from .app import create_app

app = create_app()
