"""Split articles into token-sized chunks that keep their exact place in the article."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rag.adapters.tokens import encode
from rag.errors import ConfigError
from rag.types import Article, Chunk

from .ids import chunk_id_for

if TYPE_CHECKING:
    from llama_index.core.node_parser import SentenceSplitter


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    if chunk_overlap >= chunk_size:
        raise ConfigError(f"chunk_overlap {chunk_overlap} must be below chunk_size {chunk_size}")
    # Imported here, not at module level: llama_index.core takes seconds to import, and
    # `rag serve` imports this module for uploads, so every server start would pay it.
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, tokenizer=encode)


def _locate(text: str, piece: str, cursor: int) -> int:
    """Find ``piece`` at or after ``cursor``; SentenceSplitter returns text, not offsets,
    and a plain ``find`` from 0 would pick the first of two repeated passages."""
    start = text.find(piece, cursor)
    if start < 0:
        start = text.find(piece)
    if start < 0:
        raise ValueError("chunk text not found in its article")
    return start


def chunk_article(article: Article, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Chunks in reading order, each with ``article.text[start:end] == chunk.text``."""
    chunks: list[Chunk] = []
    cursor = 0
    for piece in _splitter(chunk_size, chunk_overlap).split_text(article.text):
        if not piece.strip():
            continue
        start = _locate(article.text, piece, cursor)
        end = start + len(piece)
        cursor = start + 1
        chunks.append(
            Chunk(
                chunk_id=chunk_id_for(article.source, start, piece),
                doc_id=article.doc_id,
                source=article.source,
                text=piece,
                start=start,
                end=end,
                title=article.title,
                published=article.published,
            )
        )
    return chunks
