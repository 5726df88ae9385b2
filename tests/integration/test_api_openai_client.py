"""The official `openai` client uses the assistant as a model, the real reader behind it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.api_server import QUESTION, ServedAPI, serve_samples
from tests.integration.conftest import READER_MODEL

pytestmark = pytest.mark.integration

API_KEY = "openai-client-key"


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, llm_server: str) -> Iterator[ServedAPI]:
    """RAG_LLM=local against the session's reader server, with a key set."""
    data_dir = tmp_path_factory.mktemp("openai-client") / "data"
    env = {
        "RAG_API_KEY": API_KEY,
        "RAG_LLM": "local",
        "RAG_LLM_BASE_URL": llm_server,
        "RAG_LLM_MODEL": READER_MODEL,
    }
    with serve_samples(data_dir, env) as served:
        yield served


@pytest.fixture
def client(api: ServedAPI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{api.url}/v1", api_key=API_KEY, max_retries=0) as c:
        yield c


def _assert_cited_text(text: str, citations: list[dict[str, Any]]) -> None:
    assert "Kim Jong Gyu" in text and "Rudenko" in text
    assert "[1]" in text and "\n\nSources:\n[1] " in text
    assert citations
    for citation in citations:
        assert {"n", "source", "quote", "start", "end", "chunk_id"} <= set(citation)
        assert f"[{citation['n']}] {citation['source']}: “{citation['quote']}”" in text


def test_models_lists_the_assistant(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["news-rag"]


def test_chat_completion(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="news-rag", messages=[{"role": "user", "content": QUESTION}]
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    extra = completion.model_extra or {}
    _assert_cited_text(choice.message.content or "", extra["citations"])
    assert extra["refused"] is False
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_chat_completion_streamed(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="news-rag",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)  # the client stops at `data: [DONE]`
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finished = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finished] == ["stop"]
    _assert_cited_text(text, (finished[0].model_extra or {})["citations"])
    usage = chunks[-1]
    assert usage.choices == [] and usage.usage is not None and usage.usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_history_and_content_parts_are_understood(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="news-rag",
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "Tell me about the Russia North Korea treaty."},
            {"role": "assistant", "content": "It came into force this week."},
            {"role": "user", "content": [{"type": "text", "text": QUESTION}]},
        ],
    )
    _assert_cited_text(
        completion.choices[0].message.content or "", (completion.model_extra or {})["citations"]
    )


def test_a_wrong_key_is_an_authentication_error(api: ServedAPI) -> None:
    client = openai.OpenAI(base_url=f"{api.url}/v1", api_key="wrong", max_retries=0)
    with client, pytest.raises(openai.AuthenticationError) as raised:
        client.models.list()
    assert "API key" in raised.value.message


def test_a_conversation_ending_with_the_assistant_is_a_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="news-rag",
            messages=[
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": "Kim Jong Gyu."},
            ],
        )
    assert "last message must come from the user" in raised.value.message
