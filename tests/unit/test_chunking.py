"""Chunks keep their exact place in the article and a content-derived id."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.chunking import chunk_article
from index.ids import chunk_id_for, doc_id_for
from index.loaders import load_file, make_article
from rag.adapters.tokens import count_tokens
from rag.errors import ConfigError

pytestmark = pytest.mark.unit


def test_offsets_point_at_the_chunk_text(sample_dir: Path) -> None:
    for path in sorted(sample_dir.glob("*.txt")):
        article = load_file(path, path.name, 10**7).articles[0]
        chunks = chunk_article(article, chunk_size=64, chunk_overlap=8)
        assert len(chunks) > 3
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert chunk.source == path.name and chunk.title == article.title
            assert count_tokens(chunk.text) <= 64
        covered = "".join(article.text[c.start : c.end] for c in chunks)
        assert "Rudenko" in covered or "KCNA" in covered


def test_repeated_passages_get_distinct_offsets() -> None:
    para = "The same wire paragraph is repeated by the agency in full. " * 6
    article = make_article("dup.txt", f"{para}\n\n{para}\n\n{para}")
    chunks = chunk_article(article, chunk_size=40, chunk_overlap=0)
    starts = [c.start for c in chunks]
    assert starts == sorted(set(starts))
    assert all(article.text[c.start : c.end] == c.text for c in chunks)


def test_ids_are_content_hashes() -> None:
    a = chunk_article(make_article("x.txt", "One sentence here. Another one."), 32, 0)
    b = chunk_article(make_article("x.txt", "One sentence here. Another one."), 32, 0)
    c = chunk_article(make_article("y.txt", "One sentence here. Another one."), 32, 0)
    assert [x.chunk_id for x in a] == [x.chunk_id for x in b]
    assert a[0].chunk_id != c[0].chunk_id
    assert a[0].chunk_id == chunk_id_for("x.txt", 0, a[0].text)
    assert doc_id_for("business/001.txt") != doc_id_for("sport/001.txt")
    assert len(a[0].chunk_id) == 32


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ConfigError):
        chunk_article(make_article("x.txt", "Some text."), 32, 32)
