"""The chat page's HTML: linked markers, highlighted passages, and no markup from articles."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.types import Answer, Citation, Conflict
from ui.chat_render import (
    ChatTurn,
    Passage,
    answer_html,
    link_markers,
    passage_around,
    question_html,
    source_card_html,
    sources_html,
    streaming_html,
)

pytestmark = pytest.mark.unit

HOSTILE = '<script>alert(1)</script><img src=x onerror="steal()"> & "quotes"'
SAMPLE = "001_a4b0b9614c74e4e8.txt"
QUOTE = (
    "The treaty took effect Wednesday after North Korea’s Vice Foreign Minister Kim Jong Gyu "
    "and Russia’s Vice Foreign Minister Andrei Rudenko exchanged ratification documents in Moscow."
)


def cite(n: int, text: str, quote: str, source: str = "a.txt", **extra: str) -> Citation:
    start = text.index(quote)
    return Citation(
        n=n,
        chunk_id=f"c{n}",
        source=source,
        quote=quote,
        start=start,
        end=start + len(quote),
        **extra,
    )


def tags(markup: str) -> list[str]:
    return re.findall(r"<\s*([a-zA-Z]+)", markup)


def test_known_markers_become_links_to_their_source_cards() -> None:
    linked = link_markers("Kim [1] and Rudenko [2], not [7].", turn=3, known={1, 2})
    assert '<a class="rag-cite" href="#rag-src-3-1"' in linked
    assert 'href="#rag-src-3-2"' in linked
    assert linked.endswith("not [7].")  # no citation 7: left as text


def test_answer_links_markers_and_escapes_the_text() -> None:
    text = f"They said {HOSTILE} [1]."
    answer = Answer(
        answer=text,
        generator="extractive",
        citations=[cite(1, text, "They said")],
        timings_ms={"total": 1234.0},
    )
    markup = answer_html(answer, turn=1)
    assert tags(markup) == ["div", "p", "a", "div"]
    assert html.escape(HOSTILE) in markup
    assert 'href="#rag-src-1-1"' in markup
    assert "extractive · 1.2 s" in markup


def test_refusal_is_a_box_with_its_reason_and_no_links() -> None:
    answer = Answer(
        answer="The sources do not say.",
        refused=True,
        generator="local",
        notice=f"evidence too weak {HOSTILE}",
    )
    markup = answer_html(answer, turn=1)
    assert markup.startswith('<div class="rag-refusal"')
    assert "rag-cite" not in markup
    assert html.escape(HOSTILE) in markup
    assert "<script>" not in markup


def test_conflict_is_shown_once_with_both_claims_and_their_sources() -> None:
    claims = ["It took effect on Wednesday. [1]", "It took effect on Thursday. [2]"]
    text = (
        "It took effect this week [1].\n\n"
        f"The sources disagree on the day: {claims[0]} / {claims[1]}"
    )
    citations = [
        cite(1, text, "It took effect", source="a.txt", title="Agency A"),
        cite(2, text, "this week", source="b.txt", title="Agency <B>"),
    ]
    answer = Answer(
        answer=text,
        generator="extractive",
        citations=citations,
        conflicts=[Conflict(topic="day", claims=claims, citations=[1, 2])],
    )
    markup = answer_html(answer, turn=2)
    assert markup.count("Wednesday") == 1  # the repeated claims line is not shown twice
    box = markup[markup.index('class="rag-conflict"') :]
    assert "The sources disagree on the day" in box
    assert box.count("<li>") == 2
    assert "Agency A (a.txt)" in box
    assert "Agency &lt;B&gt; (b.txt)" in box
    assert 'href="#rag-src-2-2"' in box


def test_streamed_text_is_escaped() -> None:
    markup = streaming_html(f"First {HOSTILE}\n\nSecond")
    assert tags(markup) == ["div", "p", "p"]
    assert html.escape(HOSTILE) in markup


def test_question_is_escaped_and_keeps_no_raw_newlines() -> None:
    markup = question_html(f"Who?\n\n{HOSTILE}")
    assert "\n" not in markup
    assert markup == f'<div class="rag-question">Who?<br><br>{html.escape(HOSTILE)}</div>'


def test_passage_highlights_exactly_the_cited_span(sample_dir: Path) -> None:
    text = (sample_dir / SAMPLE).read_text(encoding="utf-8")
    citation = cite(1, text, QUOTE, source=SAMPLE)
    passage = passage_around(text, citation)
    assert passage.quote == text[citation.start : citation.end]
    assert text[citation.start - len(passage.before) : citation.start] == passage.before
    assert text[citation.end : citation.end + len(passage.after)] == passage.after
    assert 0 < len(passage.before) <= 300
    assert 0 < len(passage.after) <= 300
    assert passage.clipped_start
    assert passage.clipped_end
    assert not passage.before[0].isspace()  # cut after a space, not inside a word


def test_passage_at_the_start_of_a_short_article_is_not_clipped() -> None:
    text = "Short article. It ends here."
    passage = passage_around(text, cite(1, text, "Short article."))
    assert passage == Passage(before="", quote="Short article.", after=" It ends here.")


def test_passage_falls_back_to_the_quote_when_the_article_changed() -> None:
    citation = cite(1, "Old text with the quote.", "the quote")
    assert passage_around(None, citation) == Passage("", "the quote", "")
    assert passage_around("Rewritten entirely, nothing matches.", citation).before == ""


def test_source_card_escapes_article_text_and_marks_the_quote() -> None:
    text = f"Before {HOSTILE}. The quote <b>here</b>. After {HOSTILE}."
    citation = cite(4, text, "The quote <b>here</b>.", title=HOSTILE, published="2024-12-05")
    markup = source_card_html(7, citation, passage_around(text, citation), is_open=True)
    assert 'id="rag-src-7-4" open' in markup
    assert "<mark>The quote &lt;b&gt;here&lt;/b&gt;.</mark>" in markup
    assert set(tags(markup)) == {"details", "summary", "span", "div", "mark"}
    assert "2024-12-05" in markup
    unescaped = html.unescape(re.sub(r"<[^>]+>", "", markup))
    assert HOSTILE in unescaped


@given(
    text=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1),
    bounds=st.tuples(st.integers(0, 2000), st.integers(1, 400)),
    context=st.integers(0, 400),
)
def test_any_passage_is_a_contiguous_slice_around_the_quote(
    text: str, bounds: tuple[int, int], context: int
) -> None:
    start = min(bounds[0], len(text) - 1)
    end = min(len(text), start + bounds[1])
    citation = Citation(n=1, chunk_id="c", source="s", quote=text[start:end], start=start, end=end)
    passage = passage_around(text, citation, context)
    joined = passage.before + passage.quote + passage.after
    assert text[start - len(passage.before) : end + len(passage.after)] == joined
    assert len(passage.before) <= context
    assert len(passage.after) <= context
    assert passage.clipped_start == (len(passage.before) < start)
    assert passage.clipped_end == (end + len(passage.after) < len(text))
    card = source_card_html(1, citation, passage, is_open=False)
    assert set(tags(card)) <= {"details", "summary", "span", "div", "mark"}


def _turn(number: int, question: str, citations: list[Citation]) -> ChatTurn:
    answer = Answer(answer="x", generator="extractive", citations=citations)
    return ChatTurn(
        number=number,
        question=question,
        answer=answer,
        passages={c.n: Passage("", c.quote, "") for c in citations},
    )


def test_side_panel_lists_latest_answer_first_and_open() -> None:
    text = "One fact. Another fact."
    turns = [
        _turn(1, "first?", [cite(1, text, "One fact.")]),
        _turn(2, "refused?", []),
        _turn(3, f"third {HOSTILE}?", [cite(1, text, "Another fact.")]),
    ]
    markup = sources_html(turns)
    assert markup.index("rag-src-3-1") < markup.index("rag-src-1-1")
    assert 'id="rag-src-3-1" open' in markup
    assert 'id="rag-src-1-1">' in markup  # older answers start closed
    assert "refused?" not in markup  # a turn without citations has no section
    assert html.escape(HOSTILE) in markup
    assert "Cited sources appear here" in sources_html([])
