"""Bearer-token auth for /v1 routes when RAG_API_KEY is set."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status


def require_api_key(request: Request) -> None:
    """FastAPI dependency: 401 unless the Authorization header carries the key."""
    expected: str | None = request.app.state.settings.api_key
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    # compare_digest: the time taken must not reveal how much of the key matched.
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or invalid API key (Authorization: Bearer KEY)",
            headers={"WWW-Authenticate": "Bearer"},
        )
