"""What `rag ingest --watch` reacts to: the articles' folder, never the index's own files."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfiles import Change

from index.sync import articles_filter

pytestmark = pytest.mark.unit


def test_changes_inside_the_data_folder_are_not_article_changes(tmp_path: Path) -> None:
    # A data folder inside the watched one: each run writes it, and reacting would loop.
    wanted = articles_filter(tmp_path / "inbox" / "data")
    assert wanted(Change.added, str(tmp_path / "inbox" / "story.txt"))
    assert wanted(Change.deleted, str(tmp_path / "inbox" / "deep" / "story.md"))
    assert not wanted(
        Change.modified, str(tmp_path / "inbox" / "data" / "news" / "manifest.sqlite")
    )
    assert not wanted(Change.modified, str(tmp_path / "inbox" / ".git" / "index"))
    assert not wanted(Change.added, str(tmp_path / "inbox" / ".story.txt.swp"))
