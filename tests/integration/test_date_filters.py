"""Answers limited to a date range, end to end: in-process with embedded Chroma, through
`rag ask`, over HTTP on /v1/ask and with the official `openai` client.

Three articles answer one question three ways: an older one (2023), a newer one (2025,
its date written as "June 1, 2025") and one of no date. A date filter must pick the
article of its time, and never the undated one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from rag.adapters.embedders import Embedder
from rag.errors import InputError
from rag.pipeline import Assistant
from rag.retrieval.corpus import Corpus
from rag.settings import Settings
from rag.types import Answer, Scope
from tests.api_server import assert_api_error, copy_index, run_rag, serve

pytestmark = pytest.mark.integration

QUESTION = "Who is the harbour master of Tallinn?"
OLD, NEW, UNDATED = "harbour.jsonl#1", "harbour.jsonl#2", "harbour.jsonl#3"
ARTICLES = [
    {
        "title": "Tallinn port appoints a harbour master",
        "published": "2023-02-01",
        "text": "Tallinn port appoints a harbour master\nThe harbour master of Tallinn is "
        "Anna Kask. She took up the post in February after twenty years at sea.",
    },
    {
        "title": "Tallinn port names a new harbour master",
        "published": "June 1, 2025",
        "text": "Tallinn port names a new harbour master\nThe harbour master of Tallinn is "
        "Boris Tamm. He replaced the former harbour master this summer.",
    },
    {
        "title": "Harbour masters of the Baltic",
        "text": "Harbour masters of the Baltic\nThe harbour master of Tallinn is Carl Lind, "
        "says an old port directory.",
    },
]
NEWER = {"since": "2025-01-01"}
OLDER = {"until": "2024-12-31"}


def write_harbour(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = "\n".join(json.dumps(a) for a in ARTICLES)
    (folder / "harbour.jsonl").write_text(lines + "\n", encoding="utf-8")
    return folder


def _cited(answer: dict[str, Any] | Answer) -> set[str]:
    data = answer.model_dump() if isinstance(answer, Answer) else answer
    return {c["source"] for c in data["citations"]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Corpus]:
    from index.ingest import ingest_paths

    root = tmp_path_factory.mktemp("harbour")
    corpus = Corpus(Settings(data_dir=root / "data", llm="extractive"), embedder)
    ingest_paths(corpus, [write_harbour(root / "articles")])
    yield corpus
    corpus.close()


def test_a_date_range_answers_from_the_article_of_its_time(corpus: Corpus) -> None:
    assistant = Assistant(corpus.settings, corpus)
    newer = assistant.ask(QUESTION, scope=Scope.model_validate(NEWER))
    assert "Boris Tamm" in newer.answer and _cited(newer) == {NEW}
    # The date shown with a citation is the one read from the source, in ISO.
    assert {c.published for c in newer.citations} == {"2025-06-01"}
    older = assistant.ask(QUESTION, scope=Scope.model_validate(OLDER))
    assert "Anna Kask" in older.answer and _cited(older) == {OLD}
    assert {c.published for c in older.citations} == {"2023-02-01"}


def test_a_date_filter_leaves_out_undated_articles(corpus: Corpus) -> None:
    retriever = Assistant(corpus.settings, corpus).retriever
    everything = {h.chunk.source for h in retriever.retrieve(QUESTION, 5)}
    assert everything == {OLD, NEW, UNDATED}
    wide = Scope.model_validate({"since": "1900-01-01", "until": "2199-12-31"})
    assert {h.chunk.source for h in retriever.retrieve(QUESTION, 5, wide)} == {OLD, NEW}
    sourced = Scope(sources=[UNDATED, OLD], since=wide.since)
    assert {h.chunk.source for h in retriever.retrieve(QUESTION, 5, sourced)} == {OLD}
    with pytest.raises(InputError, match="later than until"):
        Scope.model_validate({"since": "2025-01-02", "until": "2025-01-01"})


def test_vectors_carry_their_date_only_when_it_is_known(corpus: Corpus) -> None:
    got = corpus.store.collection.get(include=["metadatas"])
    dated = {m["source"]: m.get("published_ts") for m in got["metadatas"]}
    assert dated == {OLD: 1675209600.0, NEW: 1748736000.0, UNDATED: None}


# --- the same through the CLI and the HTTP API -----------------------------------------


@pytest.fixture(scope="module")
def cli_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("harbour-cli")
    data_dir = root / "data"
    data_dir.mkdir()
    done = run_rag("ingest", str(write_harbour(root / "articles")), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return data_dir


def test_rag_ask_filters_by_date_and_source(cli_index: Path) -> None:
    newer = run_rag("ask", QUESTION, "--since", "2025-01-01", "--json", data_dir=cli_index)
    assert newer.returncode == 0, newer.stderr
    assert _cited(json.loads(newer.stdout)) == {NEW}
    older = run_rag(
        "ask", QUESTION, "--until", "2024-12-31",
        "--source", OLD, "--source", UNDATED, "--json",
        data_dir=cli_index,
    )  # fmt: skip
    assert older.returncode == 0, older.stderr
    assert _cited(json.loads(older.stdout)) == {OLD}
    printed = run_rag("ask", QUESTION, "--since", "2025-01-01", data_dir=cli_index)
    assert "published 2025-06-01" in printed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2025-01-02", "--until", "2025-01-01"], "is later than until"),
        (["--since", "last week"], "since must be an ISO date"),
    ],
)
def test_rag_ask_refuses_a_bad_date_range(cli_index: Path, args: list[str], message: str) -> None:
    done = run_rag("ask", QUESTION, *args, data_dir=cli_index)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr


def test_docs_list_sorts_newest_first_and_undated_last(cli_index: Path) -> None:
    done = run_rag("docs", "list", "--sort", "published", "--json", data_dir=cli_index)
    listed = json.loads(done.stdout)
    assert [d["source"] for d in listed] == [NEW, OLD, UNDATED]
    assert [d["published"] for d in listed] == ["2025-06-01", "2023-02-01", None]


@pytest.fixture(scope="module")
def api(cli_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = copy_index(cli_index, tmp_path_factory.mktemp("harbour-api") / "data")
    with serve(data_dir) as served:
        yield served.url


def test_v1_ask_filters_by_date(api: str) -> None:
    newer = httpx.post(f"{api}/v1/ask", json={"question": QUESTION, **NEWER}, timeout=120)
    assert newer.status_code == 200, newer.text
    assert _cited(newer.json()) == {NEW}
    older = httpx.post(f"{api}/v1/ask", json={"question": QUESTION, **OLDER}, timeout=120)
    assert _cited(older.json()) == {OLD}
    dated = {"question": QUESTION, "since": "2025-06-01T00:00:00Z", "sources": [NEW, UNDATED]}
    assert _cited(httpx.post(f"{api}/v1/ask", json=dated, timeout=120).json()) == {NEW}


def test_v1_ask_refuses_bad_dates(api: str) -> None:
    backwards = {"question": QUESTION, "since": "2025-01-02", "until": "2025-01-01"}
    for stream in (False, True):
        response = httpx.post(
            f"{api}/v1/ask", params={"stream": stream}, json=backwards, timeout=120
        )
        assert_api_error(response, 400, "later than until")
    unreadable = httpx.post(
        f"{api}/v1/ask", json={"question": QUESTION, "until": "soon"}, timeout=120
    )
    error = assert_api_error(unreadable, 422, "until must be an ISO date")
    assert error["param"] == "until"


def test_openai_client_sends_the_filter_as_extra_body(api: str) -> None:
    with openai.OpenAI(base_url=f"{api}/v1", api_key="unused", max_retries=0) as client:
        messages: Any = [{"role": "user", "content": QUESTION}]
        for extra, source in ((NEWER, NEW), (OLDER, OLD)):
            completion = client.chat.completions.create(
                model="news-rag", messages=messages, extra_body=extra
            )
            citations = (completion.model_extra or {})["citations"]
            assert {c["source"] for c in citations} == {source}
        streamed = client.chat.completions.create(
            model="news-rag", messages=messages, stream=True, extra_body=NEWER
        )
        text = "".join(c.choices[0].delta.content or "" for c in streamed if c.choices)
        assert "Boris Tamm" in text and "Anna Kask" not in text
        with pytest.raises(openai.BadRequestError, match="later than until"):
            client.chat.completions.create(
                model="news-rag", messages=messages, extra_body={"since": "2026-01-01", **OLDER}
            )


def test_documents_sort_by_published_over_http(api: str) -> None:
    listed = httpx.get(f"{api}/v1/documents", params={"sort": "published"}, timeout=60).json()
    assert [d["source"] for d in listed] == [NEW, OLD, UNDATED]
    assert httpx.get(f"{api}/v1/documents", params={"sort": "size"}, timeout=60).status_code == 422
