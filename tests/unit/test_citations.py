"""Draft markers are parsed (the reader's [n] text format) and written into answers."""

from __future__ import annotations

import pytest

from rag.grounding.citations import DraftSentence, parse_markers, with_markers

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("draft", "markers"),
    [
        ("Kim signed it [1].", (1,)),
        ("Kim signed it [1, 2].", (1, 2)),
        ("Kim signed it [1][3].", (1, 3)),
        ("Kim signed it 【2】.", (2,)),
        ("Kim signed it (2).", (2,)),
        ("Kim signed it [Source 4].", (4,)),
        ("Kim signed it [1-3].", (1, 2, 3)),
        ("Kim signed it. [2]", (2,)),
        ("Kim signed it [2][2].", (2,)),
        ("Kim signed it.", ()),
    ],
)
def test_marker_formats(draft: str, markers: tuple[int, ...]) -> None:
    assert parse_markers(draft) == [DraftSentence("Kim signed it.", markers)]


def test_markers_belong_to_the_sentence_they_follow() -> None:
    parsed = parse_markers("[1] The pact took effect Wednesday. [2] It was signed in June [3]. ")
    assert parsed == [
        DraftSentence("The pact took effect Wednesday.", (1, 2)),
        DraftSentence("It was signed in June.", (3,)),
    ]
    assert parse_markers("It was reported Thursday (5 December) [1].") == [
        DraftSentence("It was reported Thursday (5 December).", (1,))
    ]
    assert parse_markers("") == []


def test_markers_go_before_the_final_punctuation() -> None:
    assert with_markers("It took effect.", [1, 2]) == "It took effect [1][2]."
    assert with_markers("Did it?", [3]) == "Did it [3]?"
    assert with_markers('He called it a "breakthrough"', [1]) == 'He called it a "breakthrough" [1]'
    assert with_markers("News Brief", [2]) == "News Brief [2]."
