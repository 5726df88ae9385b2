"""Sentence splitting keeps exact offsets and handles news-text punctuation."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.language.sentences import chunk_sentences, split_sentences
from tests.paragraph_hits import sample_articles, sample_hits

pytestmark = pytest.mark.unit


def texts(text: str) -> list[str]:
    return [span.text for span in split_sentences(text)]


def test_sample_articles_split_into_verbatim_sentences(sample_dir: Path) -> None:
    articles = sample_articles(sample_dir)
    counts: dict[str, int] = {}
    for source, article in articles.items():
        spans = split_sentences(article.text)
        assert all(article.text[s.start : s.end] == s.text for s in spans)
        assert all(s.text == s.text.strip() and s.text for s in spans)
        counts[source] = len(spans)
    assert counts == {"000_aff0d55bc72581f4.txt": 21, "001_a4b0b9614c74e4e8.txt": 12}


def test_headlines_captions_and_bylines_are_their_own_sentences(sample_dir: Path) -> None:
    first = texts(sample_articles(sample_dir)["000_aff0d55bc72581f4.txt"].text)[:4]
    assert first[0] == "Defence agreement between Russia and North Korea comes into force"
    assert first[1] == "Путін та Кім Чен Ин"
    assert first[2] == "Photo: Getty images"
    assert first[3].endswith("has officially entered into force.")


def test_parenthesised_date_stays_inside_its_sentence(sample_dir: Path) -> None:
    sentences = texts(sample_articles(sample_dir)["001_a4b0b9614c74e4e8.txt"].text)
    assert sentences[2].endswith("KCNA news agency reported Thursday (5 December).")
    assert sentences[-1].endswith('hailed the pact as a "breakthrough" document.')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        (
            "It opened on Jan. 5 in Kyiv. Crowds came.",
            ["It opened on Jan. 5 in Kyiv.", "Crowds came."],
        ),
        ("He lives at No. 10 Downing Street. Yes.", ["He lives at No. 10 Downing Street.", "Yes."]),
        ("He said no. Then he left.", ["He said no.", "Then he left."]),
        ("J. K. Rowling wrote it. Fans cheered.", ["J. K. Rowling wrote it.", "Fans cheered."]),
        ("The U.S. Senate voted. It passed.", ["The U.S. Senate voted.", "It passed."]),
        (
            "Troops went to the U.S. The move was new.",
            ["Troops went to the U.S.", "The move was new."],
        ),
        (
            "Growth was 3.5 percent, or $1.13bn. Prices rose.",
            ["Growth was 3.5 percent, or $1.13bn.", "Prices rose."],
        ),
        ("He said “It is over.” Then he left.", ["He said “It is over.”", "Then he left."]),
        ("“Is it?” she asked. He nodded.", ["“Is it?” she asked.", "He nodded."]),
        (
            "Putin called it “revolutionary”. Others disagreed.",
            ["Putin called it “revolutionary”.", "Others disagreed."],
        ),
        ("Wait... What happened? Nothing…", ["Wait...", "What happened?", "Nothing…"]),
        ("He paused... and went on.", ["He paused... and went on."]),
        ("It ended (finally.) Next came rain.", ["It ended (finally.)", "Next came rain."]),
        ("Country’s troops left! Why?", ["Country’s troops left!", "Why?"]),
        ("Це сталося. Потім пішов дощ.", ["Це сталося.", "Потім пішов дощ."]),
    ],
)
def test_abbreviations_numbers_quotes_and_ellipses(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


def test_a_newline_ends_a_sentence_unless_the_line_continues_in_lower_case() -> None:
    text = "News Brief\nLeaders met today\nThe talks were long and\nended late. Both left."
    assert texts(text) == [
        "News Brief",
        "Leaders met today",
        "The talks were long and\nended late.",
        "Both left.",
    ]


def test_windows_line_ends_and_blank_text() -> None:
    assert texts("Line one\r\nLine two\r\n") == ["Line one", "Line two"]
    assert split_sentences("") == []
    assert split_sentences(" \n\n \t") == []


@given(st.text(alphabet=st.sampled_from(list("ab A.?!…”’(3) \n")), max_size=80))
def test_spans_are_verbatim_ordered_and_cover_every_visible_character(text: str) -> None:
    spans = split_sentences(text)
    covered: set[int] = set()
    last_end = 0
    for span in spans:
        assert text[span.start : span.end] == span.text
        assert span.text and span.text == span.text.strip()
        assert span.start >= last_end
        last_end = span.end
        covered.update(range(span.start, span.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_chunk_sentences_point_into_the_article(sample_dir: Path) -> None:
    articles = sample_articles(sample_dir)
    hits = sample_hits(sample_dir)
    sentences = [s for hit in hits for s in chunk_sentences(hit)]
    assert len(sentences) == 33
    for sentence in sentences:
        assert articles[sentence.source].text[sentence.start : sentence.end] == sentence.text
        assert sentence.chunk_id and sentence.title
    kim = next(s for s in sentences if "Kim Jong Gyu" in s.text)
    assert kim.start > 0 and kim.source == "001_a4b0b9614c74e4e8.txt"
