"""Pure HTML rendering for the chat page: answers with linked [n] markers, source cards.

Every piece of text that comes from an article, an upload or a user passes through
``html.escape`` here; nothing from the corpus reaches the page as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.grounding.citations import WRITTEN_MARKER
from rag.types import Answer, Citation, Conflict

# Characters of article text shown on each side of a quote in its source card.
PASSAGE_CONTEXT = 300


@dataclass(frozen=True)
class Passage:
    """A quote in its surrounding article text, split for highlighting."""

    before: str
    quote: str
    after: str
    clipped_start: bool = False
    clipped_end: bool = False


@dataclass(frozen=True)
class ChatTurn:
    """One answered question of a session, with the passage of each citation (by n)."""

    number: int
    question: str
    answer: Answer
    passages: Mapping[int, Passage]


def passage_around(text: str | None, citation: Citation, context: int = PASSAGE_CONTEXT) -> Passage:
    """The quote with up to ``context`` characters either side, cut at whitespace.

    Falls back to the bare quote when the article is gone or no longer matches the
    offsets (it was re-ingested with other text since the answer was given).
    """
    start, end = citation.start, citation.end
    if text is None or text[start:end] != citation.quote:
        return Passage(before="", quote=citation.quote, after="")
    lo = max(0, start - context)
    if lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else start
    hi = min(len(text), end + context)
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space >= 0 else end
    return Passage(
        before=text[lo:start],
        quote=citation.quote,
        after=text[end:hi],
        clipped_start=lo > 0,
        clipped_end=hi < len(text),
    )


def anchor_id(turn: int, n: int) -> str:
    return f"rag-src-{turn}-{n}"


def link_markers(escaped: str, turn: int, known: set[int]) -> str:
    """Turn each [n] of a known citation into a link to its source card."""

    def link(match: re.Match[str]) -> str:
        n = int(match[1])
        if n not in known:
            return match[0]
        target = anchor_id(turn, n)
        return f'<a class="rag-cite" href="#{target}" title="Show source {n}">[{n}]</a>'

    return WRITTEN_MARKER.sub(link, escaped)


def _paragraphs(escaped_lines: Sequence[str]) -> str:
    return "".join(f"<p>{line}</p>" for line in escaped_lines if line.strip())


def streaming_html(text: str) -> str:
    """Answer text as it arrives, before its citations are known."""
    lines = [html.escape(line) for line in text.split("\n")]
    return f'<div class="rag-answer rag-streaming">{_paragraphs(lines)}</div>'


def question_html(question: str) -> str:
    # No raw newlines: in the chat a blank line would end the HTML block and start Markdown.
    lines = "<br>".join(html.escape(line) for line in question.split("\n"))
    return f'<div class="rag-question">{lines}</div>'


def pending_html(message: str) -> str:
    return f'<div class="rag-answer rag-pending">{html.escape(message)}</div>'


def error_html(message: str) -> str:
    return f'<div class="rag-error" role="alert">{html.escape(message)}</div>'


def _states_conflict(line: str, conflicts: Sequence[Conflict]) -> bool:
    # The answer text repeats each conflict's claims on one line; the conflict box
    # shows them instead, with their sources.
    return any(c.claims and all(claim in line for claim in c.claims) for c in conflicts)


def _source_label(citation: Citation | None) -> str:
    if citation is None:
        return ""
    title = html.escape(citation.title or citation.source)
    return f' <span class="rag-claim-source">— {title} ({html.escape(citation.source)})</span>'


def conflicts_html(
    conflicts: Sequence[Conflict], citations: Mapping[int, Citation], turn: int
) -> str:
    known = set(citations)
    boxes = []
    for conflict in conflicts:
        items = []
        for claim in conflict.claims:
            numbers = [int(m) for m in WRITTEN_MARKER.findall(claim)]
            source = _source_label(citations.get(numbers[-1])) if numbers else ""
            items.append(f"<li>{link_markers(html.escape(claim), turn, known)}{source}</li>")
        boxes.append(
            '<div class="rag-conflict" role="note"><div class="rag-conflict-title">'
            f"The sources disagree on the {html.escape(conflict.topic)}</div>"
            f"<ul>{''.join(items)}</ul></div>"
        )
    return "".join(boxes)


def _meta_html(answer: Answer) -> str:
    total = answer.timings_ms.get("total")
    timing = f" · {total / 1000:.1f} s" if total is not None else ""
    return f'<div class="rag-meta">{html.escape(answer.generator)}{timing}</div>'


def answer_html(answer: Answer, turn: int) -> str:
    """A finished answer: refusal box, or text with linked markers plus conflicts."""
    notice = f'<div class="rag-notice">{html.escape(answer.notice)}</div>' if answer.notice else ""
    if answer.refused:
        return (
            f'<div class="rag-refusal" role="status"><div class="rag-refusal-title">'
            f"{html.escape(answer.answer)}</div>{notice}{_meta_html(answer)}</div>"
        )
    citations = {c.n: c for c in answer.citations}
    lines = [
        line for line in answer.answer.split("\n") if not _states_conflict(line, answer.conflicts)
    ]
    body = link_markers(_paragraphs([html.escape(line) for line in lines]), turn, set(citations))
    return (
        f'<div class="rag-answer">{body}'
        f"{conflicts_html(answer.conflicts, citations, turn)}{notice}"
        f"{_meta_html(answer)}</div>"
    )


def _passage_html(passage: Passage) -> str:
    lead = "…" if passage.clipped_start else ""
    tail = "…" if passage.clipped_end else ""
    return (
        f'<div class="rag-passage">{lead}{html.escape(passage.before)}'
        f"<mark>{html.escape(passage.quote)}</mark>"
        f"{html.escape(passage.after)}{tail}</div>"
    )


def source_card_html(turn: int, citation: Citation, passage: Passage, is_open: bool) -> str:
    title = html.escape(citation.title or citation.source)
    details = [f'<span class="rag-file">{html.escape(citation.source)}</span>']
    if citation.published:
        details.append(f'<span class="rag-date">{html.escape(citation.published)}</span>')
    return (
        f'<details class="rag-source" id="{anchor_id(turn, citation.n)}"'
        f'{" open" if is_open else ""}><summary><span class="rag-n">[{citation.n}]</span> '
        f'{title}</summary><div class="rag-source-meta">{" · ".join(details)}</div>'
        f"{_passage_html(passage)}</details>"
    )


def sources_html(turns: Sequence[ChatTurn]) -> str:
    """The side panel: each answer's cited sources, latest answer first and open."""
    sections = []
    cited = [turn for turn in turns if turn.answer.citations]
    for turn in reversed(cited):
        latest = turn is cited[-1]
        body = "".join(
            source_card_html(turn.number, c, turn.passages[c.n], latest)
            for c in turn.answer.citations
        )
        sections.append(
            '<section class="rag-turn-sources">'
            f"<h4>{turn.number}. {html.escape(turn.question)}</h4>{body}</section>"
        )
    return "".join(sections) or '<div class="rag-sources-empty">Cited sources appear here.</div>'
