"""Content-derived identifiers: the same input gives the same id on every machine."""

from __future__ import annotations

import hashlib


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def doc_id_for(source: str) -> str:
    """A document is identified by where it came from, so an edit replaces it."""
    return sha256_hex(f"doc\x00{source}")[:16]


def chunk_id_for(source: str, start: int, text: str) -> str:
    """A chunk is identified by its content and place: unchanged chunks keep their id."""
    return sha256_hex(f"chunk\x00{source}\x00{start}\x00{text}")[:32]
