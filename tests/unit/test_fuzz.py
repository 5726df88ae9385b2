"""Fuzzing the edges that take untrusted input: file loaders, the reader's reply parser (an
LLM's draft is untrusted text) and the API's request models.

Each property runs a bounded number of examples (20-40 s for the file on 2 cores);
hypothesis prints the failing input and the seed to replay it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from index.loaders import SUPPORTED_SUFFIXES, LoadedFile, load_bytes
from rag.errors import InputError, LoaderError
from rag.generation.prompts import parse_reply
from rag.language.sentences import chunk_sentences
from tests.conftest import SAMPLES
from tests.paragraph_hits import sample_hits
from ui.routes_openai import _split
from ui.schemas import MAX_QUESTION_CHARS, AskRequest, ChatCompletionRequest, clean_question

pytestmark = pytest.mark.unit


def fuzz(examples: int) -> settings:
    """Bounded by examples, not time: a shared, busy machine must not change the verdict."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


MAX_BYTES = 64 * 1024
# Well-formed files of every format, for mutations that keep most of the structure:
# random bytes alone rarely get past a parser's first check.
_PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /Resources << /Font << /F1 << /Type /Font "
    b"/Subtype /Type1 /BaseFont /Helvetica >> >> >> /Contents 4 0 R >> endobj\n"
    b"4 0 obj << /Length 44 >> stream\nBT /F1 12 Tf 72 720 Td (Kim Jong Gyu) Tj ET\n"
    b"endstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
)
SEEDS = {
    ".txt": "Kim Jong Gyu exchanged the documents.\nПутін та Кім Чен Ин.\n".encode(),
    ".md": b"# Pact in force\n\nThe treaty took effect *Wednesday*.\n",
    ".html": b"<html><head><title>T</title></head><body><h1>H</h1><p>Text &amp; more"
    b"<script>x()</script></p></body></html>",
    ".htm": b"<!DOCTYPE html><p>One<p>Two<br/>Three</p>",
    ".pdf": _PDF,
    ".jsonl": b'{"text": "First.", "title": "One"}\n{"text": "Second."}\n',
}


@st.composite
def file_bytes(draw: st.DrawFn, suffix: str) -> bytes:
    """Arbitrary bytes, arbitrary text, or a well-formed seed file with a slice overwritten."""
    kind = draw(st.sampled_from(["bytes", "text", "mutated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2048))
    if kind == "text":
        encoding = draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
        return draw(st.text(max_size=500)).encode(encoding, errors="surrogatepass")
    seed = SEEDS[suffix]
    start = draw(st.integers(0, len(seed)))
    end = draw(st.integers(start, min(len(seed), start + 40)))
    return seed[:start] + draw(st.binary(max_size=40)) + seed[end:]


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_loaders_return_articles_or_raise_loader_error(suffix: str) -> None:
    @fuzz(400)
    @given(data=file_bytes(suffix))
    def check(data: bytes) -> None:
        try:
            loaded = load_bytes(data, f"fuzz{suffix}", MAX_BYTES)
        except LoaderError as exc:
            assert exc.path == f"fuzz{suffix}"
            return
        assert isinstance(loaded, LoadedFile) and loaded.articles
        for article in loaded.articles:
            assert isinstance(article.text, str) and article.text.strip()
            assert article.source.startswith(f"fuzz{suffix}")
        assert all(isinstance(warning, str) for warning in loaded.warnings)

    check()


HITS = sample_hits(SAMPLES)
WORDS = sorted({w for hit in HITS for w in hit.chunk.text.split()})
# Whole source sentences, so that many drafts keep citations and the checks on them run.
SENTENCES = sorted({s.text for hit in HITS for s in chunk_sentences(hit)})
# Markers as the parser reads them (up to three digits): "[10000]" is text, not a marker.
_MARKER_IN_ANSWER = re.compile(r"\[(\d{1,3})\]")


def _marker(n: int) -> str:
    return f"[{n}]"


markers = st.one_of(
    st.integers(-5, 3 * len(HITS)).map(_marker),
    st.integers(0, 10**30).map(_marker),
    st.tuples(st.integers(0, 40), st.integers(0, 40)).map(lambda p: f"[{p[0]}, {p[1]}]"),
    st.tuples(st.integers(0, 40), st.integers(0, 999)).map(lambda p: f"[{p[0]}-{p[1]}]"),
    st.integers(0, 40).map(lambda n: f"【{n}】"),
    st.integers(0, 40).map(lambda n: f"({n})."),
)
drafts = st.lists(
    st.one_of(
        st.sampled_from(WORDS),
        st.sampled_from(SENTENCES),
        markers,
        st.sampled_from([".", "!", "?", "\n", "…"]),
    ),
    max_size=60,
).map(" ".join) | st.text(max_size=300)


@fuzz(500)
@given(draft=drafts)
def test_the_readers_reply_parser_reads_any_text_or_says_it_cannot(draft: str) -> None:
    try:
        reply = parse_reply(draft)
    except ValueError:
        return
    assert reply.answer is None or reply.answer == " ".join(reply.answer.split()) != ""
    assert all(isinstance(n, int) for n in reply.sentences)
    assert len(set(reply.sentences)) == len(reply.sentences)
    if "{" not in draft:  # the [n] text format: exactly the markers the draft carries
        cited = {int(n) for n in _MARKER_IN_ANSWER.findall(draft)}
        assert cited <= set(reply.sentences) and reply.sentences


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=20,
)
# Bodies with the real field names and values of any type, so validation goes deep.
ask_bodies = st.fixed_dictionaries(
    {},
    optional={
        "question": json_values | st.text(max_size=200),
        "history": json_values
        | st.lists(st.fixed_dictionaries({"role": json_values, "content": json_values})),
        "top_k": json_values | st.integers(-(10**20), 10**20),
        "generator": json_values | st.sampled_from(["local", "openai", "extractive", "gpt-9"]),
        "sources": json_values | st.lists(st.text(max_size=20)),
    },
)
content_parts = st.lists(
    st.fixed_dictionaries({"type": json_values | st.just("text"), "text": json_values}),
    max_size=3,
)
messages = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system", "tool", "robot"]) | json_values,
        "content": st.text(max_size=100) | content_parts | json_values,
    }
)
chat_bodies = st.fixed_dictionaries(
    {"messages": st.lists(messages, max_size=6) | json_values},
    optional={
        "model": json_values,
        "stream": json_values,
        "stream_options": json_values,
        "top_k": json_values,
    },
)


@fuzz(300)
@given(body=ask_bodies | json_values)
def test_ask_request_validates_or_raises_validation_error(body: Any) -> None:
    try:
        request = AskRequest.model_validate(body)
    except ValidationError:
        return
    try:
        question = clean_question(request.question)
    except InputError:
        return
    assert question.strip() and len(question) <= MAX_QUESTION_CHARS


@fuzz(300)
@given(body=chat_bodies | json_values)
def test_chat_request_validates_or_raises_validation_error(body: Any) -> None:
    try:
        request = ChatCompletionRequest.model_validate(body)
    except ValidationError:
        return
    try:
        question, history = _split(request)
    except InputError:
        return
    assert question.strip() and len(history) <= len(request.messages)


@fuzz(200)
@given(raw=st.binary(max_size=300) | json_values.map(json.dumps) | st.text(max_size=300))
def test_raw_bodies_parse_or_raise_validation_error(raw: bytes | str) -> None:
    for model in (AskRequest, ChatCompletionRequest):
        try:
            model.model_validate_json(raw)
        except ValidationError:
            continue


@pytest.mark.parametrize(
    ("top_k", "valid"), [(5, True), (5.0, True), (5.5, False), ("5", False), (True, False)]
)
def test_top_k_is_a_json_integer(top_k: Any, valid: bool) -> None:
    body = {"question": "Who signed?", "top_k": top_k}
    if valid:
        assert AskRequest.model_validate(body).top_k == 5
    else:
        with pytest.raises(ValidationError, match="top_k"):
            AskRequest.model_validate(body)


def test_top_k_may_be_left_out_or_null() -> None:
    messages = [{"role": "user", "content": "Who signed?"}]
    for extra in ({}, {"top_k": None}):
        assert AskRequest.model_validate({"question": "Who signed?"} | extra).top_k is None
        assert ChatCompletionRequest.model_validate({"messages": messages} | extra).top_k is None
