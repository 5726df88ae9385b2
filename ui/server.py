"""The ASGI application uvicorn imports (`ui.server:app`): API with the chat page mounted."""

from __future__ import annotations

from rag.settings import get_settings

from .app import create_app
from .chat import mount_chat

app = mount_chat(create_app(get_settings()), get_settings())
