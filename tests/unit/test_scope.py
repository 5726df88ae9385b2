"""What a question may be answered from: a Scope, as Chroma's `where` and as the manifest's
filter on the chunks BM25 ranks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from index.loaders import make_article
from rag.adapters.chroma_store import chroma_where
from rag.adapters.manifest import Manifest
from rag.errors import InputError
from rag.language.dates import day_bounds, parse_bound
from rag.types import Article, Chunk, Scope

pytestmark = pytest.mark.unit

JAN_1 = day_bounds(date(2025, 1, 1))
DEC_31 = day_bounds(date(2024, 12, 31))


def test_dates_bound_whole_days_and_times_bound_themselves() -> None:
    assert Scope(since=date(2025, 1, 1), until=date(2025, 1, 1)).bounds() == JAN_1
    noon = datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert Scope(until=noon).bounds() == (None, noon.timestamp())
    # A time without a zone is UTC, as stored dates are.
    assert Scope(since=datetime(2025, 1, 1, 12)).bounds() == (noon.timestamp(), None)


def test_strings_are_read_as_dates_or_date_times() -> None:
    scope = Scope.model_validate({"since": "2024-12-31", "until": "2025-01-01T10:00:00+02:00"})
    assert scope.since == date(2024, 12, 31) and not isinstance(scope.since, datetime)
    assert scope.bounds() == (DEC_31[0], datetime(2025, 1, 1, 8, tzinfo=UTC).timestamp())
    assert parse_bound(" 2025-02-03 ", "since") == date(2025, 2, 3)


@pytest.mark.parametrize("text", ["yesterday", "2025-13-01", "31/12/2024", ""])
def test_unreadable_dates_are_input_errors_naming_the_option(text: str) -> None:
    with pytest.raises(InputError, match="until must be an ISO date"):
        Scope.model_validate({"until": text})


def test_since_after_until_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"since \(2025-01-02\) is later than until"):
        Scope(since=date(2025, 1, 2), until=date(2025, 1, 1))
    # The same day is a one-day range, not an empty one.
    assert Scope(since=date(2025, 1, 1), until=date(2025, 1, 1)).dated


def test_where_for_each_kind_of_scope() -> None:
    assert chroma_where(Scope()) is None
    assert chroma_where(Scope(sources=["a.txt"])) == {"source": {"$in": ["a.txt"]}}
    assert chroma_where(Scope(since=date(2025, 1, 1))) == {"published_ts": {"$gte": JAN_1[0]}}
    both = Scope(sources=["a.txt", "b.txt"], since=date(2025, 1, 1), until=date(2025, 1, 1))
    assert chroma_where(both) == {
        "$and": [
            {"source": {"$in": ["a.txt", "b.txt"]}},
            {"published_ts": {"$gte": JAN_1[0]}},
            {"published_ts": {"$lte": JAN_1[1]}},
        ]
    }
    # For vectors that lack their dates, Chroma filters the sources only.
    assert chroma_where(both, dates=False) == {"source": {"$in": ["a.txt", "b.txt"]}}
    assert chroma_where(Scope(until=date(2025, 1, 1)), dates=False) is None


def _chunk(article: Article) -> Chunk:
    return Chunk(
        chunk_id=f"c-{article.source}",
        doc_id=article.doc_id,
        source=article.source,
        text=article.text,
        start=0,
        end=len(article.text),
        published=article.published,
    )


@pytest.fixture
def manifest(tmp_path: Path) -> Manifest:
    manifest = Manifest(tmp_path / "manifest.sqlite")
    articles = [
        make_article("old.txt", "Older news.", published="2024-12-31"),
        make_article("new.txt", "Newer news.", published="2025-01-01T23:59:00+00:00"),
        make_article("later.txt", "Later news.", published="2025-01-02"),
        make_article("undated.txt", "News of no date."),
    ]
    manifest.commit([(a, [_chunk(a)]) for a in articles])
    return manifest


ALL = ["c-old.txt", "c-new.txt", "c-later.txt", "c-undated.txt", "c-retired"]


def test_the_bm25_side_keeps_live_chunks_in_scope(manifest: Manifest) -> None:
    assert manifest.admitted(ALL, Scope()) == set(ALL) - {"c-retired"}
    day = Scope(since=date(2025, 1, 1), until=date(2025, 1, 1))
    assert manifest.admitted(ALL, day) == {"c-new.txt"}
    assert manifest.admitted(ALL, Scope(until=date(2024, 12, 31))) == {"c-old.txt"}
    # Undated articles fail any date bound, however wide.
    wide = Scope(since=date(1900, 1, 1), until=date(2200, 1, 1))
    assert manifest.admitted(ALL, wide) == {"c-old.txt", "c-new.txt", "c-later.txt"}
    sourced = Scope(sources=["undated.txt", "later.txt"], since=date(2025, 1, 2))
    assert manifest.admitted(ALL, sourced) == {"c-later.txt"}


def test_documents_sort_by_date_newest_first_and_undated_last(manifest: Manifest) -> None:
    assert [d.source for d in manifest.documents("published")] == [
        "later.txt",
        "new.txt",
        "old.txt",
        "undated.txt",
    ]
    assert [d.source for d in manifest.documents()] == sorted(
        ["later.txt", "new.txt", "old.txt", "undated.txt"]
    )
    assert [d.title for d in manifest.documents("title")] == [
        "Later news.",
        "Newer news.",
        "News of no date.",
        "Older news.",
    ]
