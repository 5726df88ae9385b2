"""The OpenAI contract beyond a plain completion, as the official `openai` client sees it:
typed errors with `type`, `param` and `code`, `models.retrieve`, request fields the
assistant cannot honour refused by name, sampling fields accepted, and max_tokens and stop
applied to the delivered answer. Extractive only:
these are about the API's edges, not the generator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from rag.adapters.tokens import count_tokens
from tests.api_server import QUESTION, ServedAPI, assert_api_error, serve_samples

pytestmark = pytest.mark.integration

API_KEY = "conformance-key"
MESSAGES: list[Any] = [{"role": "user", "content": QUESTION}]
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedAPI]:
    data_dir = tmp_path_factory.mktemp("conformance") / "data"
    with serve_samples(data_dir, {"RAG_API_KEY": API_KEY}) as served:
        yield served


@pytest.fixture
def client(api: ServedAPI) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{api.url}/v1", api_key=API_KEY, max_retries=0) as c:
        yield c


def test_models_retrieve_names_the_assistant(client: openai.OpenAI) -> None:
    card = client.models.retrieve("news-rag")
    assert (card.id, card.object, card.owned_by) == ("news-rag", "model", "news-rag")


def test_an_unknown_model_is_a_not_found_error(client: openai.OpenAI, api: ServedAPI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.models.retrieve("gpt-9")
    assert (raised.value.type, raised.value.code) == ("not_found_error", "model_not_found")
    assert "gpt-9" in raised.value.message
    with api.client() as http:
        assert_api_error(http.get("/v1/models/gpt-9"), 404, "news-rag")


def test_a_wrong_key_is_an_authentication_error_with_its_code(api: ServedAPI) -> None:
    client = openai.OpenAI(base_url=f"{api.url}/v1", api_key="wrong", max_retries=0)
    with client, pytest.raises(openai.AuthenticationError) as raised:
        client.models.retrieve("news-rag")
    assert (raised.value.type, raised.value.code) == ("authentication_error", "invalid_api_key")


def test_an_invalid_field_names_its_param(client: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as raised:
        client.chat.completions.create(
            model="news-rag",
            messages=[{"role": "robot", "content": QUESTION}],  # type: ignore[misc,list-item]
        )
    assert raised.value.type == "invalid_request_error"
    assert raised.value.param == "messages.0.role" and raised.value.code == "literal_error"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n", 2),
        ("tools", [TOOL]),
        ("tool_choice", "required"),
        ("functions", [TOOL["function"]]),
        ("logprobs", True),
        ("top_logprobs", 3),
        ("response_format", {"type": "json_object"}),
        ("modalities", ["text", "audio"]),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_fields_that_cannot_be_honoured_are_refused_by_name(
    client: openai.OpenAI, field: str, value: object, stream: bool
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(
            model="news-rag", messages=MESSAGES, stream=stream, extra_body={field: value}
        )
    assert (raised.value.param, raised.value.type) == (field, "invalid_request_error")
    assert raised.value.code == "unsupported_parameter" and field in raised.value.message


def test_defaults_of_those_fields_and_sampling_fields_are_served(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="news-rag",
        messages=MESSAGES,
        n=1,
        logprobs=False,
        tool_choice="none",
        response_format={"type": "text"},
        temperature=0.2,
        max_tokens=64,
        stop=["\n\n\n"],
        seed=7,
        user="someone",
    )
    assert "Kim Jong Gyu" in (completion.choices[0].message.content or "")


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": "hot"}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"stop": [""]}, "stop"),
    ],
)
def test_sampling_fields_are_validated(api: ServedAPI, extra: dict[str, Any], param: str) -> None:
    with api.client() as http:
        response = http.post("/v1/chat/completions", json={"messages": MESSAGES, **extra})
    assert assert_api_error(response, 422, param)["param"].startswith(param)


def test_every_error_names_its_openai_type(api: ServedAPI) -> None:
    with api.client() as http:
        assert_api_error(http.get("/v1/nothing-here"), 404)
        assert_api_error(http.put("/v1/ask", json={}), 405)
        assert_api_error(
            http.post("/v1/ask", content=b"{", headers={"Content-Type": "application/json"}),
            400,
            "JSON",
        )
    assert_api_error(httpx.get(f"{api.url}/v1/models", timeout=30), 401, "API key")


def test_max_tokens_cuts_the_answer_with_finish_reason_length(client: openai.OpenAI) -> None:
    whole = client.chat.completions.create(model="news-rag", messages=MESSAGES)
    cut = client.chat.completions.create(model="news-rag", messages=MESSAGES, max_tokens=3)
    full, short = whole.choices[0].message.content or "", cut.choices[0].message.content or ""
    assert whole.choices[0].finish_reason == "stop" and "Sources:" in full
    assert cut.choices[0].finish_reason == "length"
    assert full.startswith(short) and 0 < count_tokens(short) <= 3
    # The [1] marker was cut off, so no citation is left to list.
    assert "Sources:" not in short and cut.model_extra and cut.model_extra["citations"] == []


def test_a_stop_sequence_ends_the_streamed_answer_before_it(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="news-rag", messages=MESSAGES, stream=True, stop=["Rudenko"]
    )
    chunks = [c for c in stream if c.choices]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Kim Jong Gyu" in text and "Rudenko" not in text
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_max_tokens_cuts_a_streamed_answer_with_finish_reason_length(
    client: openai.OpenAI,
) -> None:
    stream = client.chat.completions.create(
        model="news-rag", messages=MESSAGES, stream=True, max_tokens=5
    )
    chunks = [c for c in stream if c.choices]
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert 0 < count_tokens(text) <= 5 and chunks[-1].choices[0].finish_reason == "length"


def test_too_long_system_messages_are_refused_before_anything_is_read(api: ServedAPI) -> None:
    system = {"role": "system", "content": "Be brief. " * 450}
    with api.client() as http:
        response = http.post(
            "/v1/chat/completions", json={"messages": [system, *MESSAGES], "stream": True}
        )
    assert_api_error(response, 400, "system and developer messages are too long")
