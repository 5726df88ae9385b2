"""The Retriever interface: what the pipeline asks of whatever finds the chunks."""

from __future__ import annotations

from typing import Protocol

from ..types import Hit, Scope


class Retriever(Protocol):
    """Finds the chunks nearest a question (``rag.retrieval.hybrid`` is the default)."""

    def retrieve(self, question: str, top_k: int, scope: Scope | None = None) -> list[Hit]:
        """The ``top_k`` best chunks among those ``scope`` admits (all, by default)."""
        ...
