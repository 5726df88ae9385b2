from __future__ import annotations

import pytest

from rag.retrieval.bm25 import LexicalIndex

pytestmark = pytest.mark.unit

TEXTS = {
    "cat": "The cat sat on the mat.",
    "dogs": "Dogs bark loudly at night.",
    "both": "A cat and a dog share the house; the dog barks.",
}


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    return LexicalIndex.build(list(TEXTS), list(TEXTS.values()), generation=1)


def test_best_match_first_and_only_matching_chunks(index: LexicalIndex) -> None:
    hits = index.search("dog barking", 10)
    assert [cid for cid, _ in hits] == ["both", "dogs"]  # "both" says dog twice
    assert hits[0][1] > hits[1][1] > 0


def test_k_bounds_the_results(index: LexicalIndex) -> None:
    assert [cid for cid, _ in index.search("cat dog", 1)] == ["both"]
    assert index.search("cat", 0) == []


@pytest.mark.parametrize("query", ["zebra", "the and a", ""])
def test_unknown_or_stopword_queries_find_nothing(index: LexicalIndex, query: str) -> None:
    assert index.search(query, 5) == []


def test_an_empty_index_finds_nothing() -> None:
    assert LexicalIndex.build([], [], generation=0).search("cat", 5) == []
