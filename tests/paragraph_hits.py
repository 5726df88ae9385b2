"""Hits made of whole paragraphs with exact offsets, for grounding tests that need no index."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from index.ids import chunk_id_for
from index.loaders import make_article
from rag.types import Article, Chunk, Hit

_LINE = re.compile(r"[^\n]*\S[^\n]*")


def read_article(path: Path, source: str) -> Article:
    # One BBC file is not UTF-8; a replacement character is harmless for these tests.
    return make_article(source, path.read_bytes().decode("utf-8", errors="replace"))


def paragraph_chunks(article: Article) -> list[Chunk]:
    """Each non-blank line is a chunk, so ``article.text[start:end] == chunk.text``."""
    return [
        Chunk(
            chunk_id=chunk_id_for(article.source, m.start(), m.group()),
            doc_id=article.doc_id,
            source=article.source,
            text=m.group(),
            start=m.start(),
            end=m.end(),
            title=article.title,
        )
        for m in _LINE.finditer(article.text)
    ]


def as_hits(chunks: Sequence[Chunk]) -> list[Hit]:
    return [Hit(chunk=chunk, score=1.0 / rank) for rank, chunk in enumerate(chunks, start=1)]


def sample_articles(sample_dir: Path) -> dict[str, Article]:
    return {p.name: read_article(p, p.name) for p in sorted(sample_dir.glob("*.txt"))}


def sample_hits(sample_dir: Path) -> list[Hit]:
    """Every paragraph of both sample articles, in file order."""
    articles = sample_articles(sample_dir).values()
    return as_hits([chunk for article in articles for chunk in paragraph_chunks(article)])
