"""Request and response bodies of the HTTP API; limits live here, so the schema shows them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from rag.errors import InputError
from rag.language.dates import parse_bound
from rag.settings import GeneratorName
from rag.types import ChatMessage, Citation, Scope

MAX_QUESTION_CHARS = 4000
MAX_HISTORY = 20
MAX_MESSAGE_CHARS = 8000
# A chat client resends the whole conversation; only its recent turns are used.
MAX_CHAT_MESSAGES = 200
MAX_TOP_K = 50
# Far above a real request (a question and its history); FastAPI parses JSON on the event loop.
MAX_JSON_BODY_BYTES = 2 * 1024 * 1024
# Longer URLs than browsers and most servers take are no news page.
MAX_URL_CHARS = 2048
MessageText = Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]


def _json_integer(value: Any) -> Any:
    # Lax pydantic reads `true` as 1 and "5" as 5; JSON Schema's integer is neither, but
    # it is 5.0, which strict pydantic would refuse.
    if isinstance(value, bool | str):
        raise ValueError("Input should be a valid integer")
    return value


TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K), BeforeValidator(_json_integer)]
# JSON Schema's way to say "not blank": at least one non-whitespace character. Spelled
# out rather than \S, whose meaning differs between regex engines: pydantic's (Rust) counts
# U+0085 as whitespace, JSON Schema's (ECMAScript) does not, so a client validating against
# the documented schema would send "\u0085" as a question and get a 422 (schemathesis did).
NOT_BLANK = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"


def clean_question(value: str) -> str:
    """Strip control characters (keeping newlines and tabs); a blank question is an error.

    Checked before a stream starts, so the client gets a 400 rather than an error event.
    """
    cleaned = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise InputError("the question is empty")
    return cleaned


class HistoryTurn(ChatMessage):
    """An earlier turn of the conversation, bounded in length."""

    content: MessageText


def _date_bound(value: Any, info: ValidationInfo) -> Any:
    # Read here, not by pydantic, which takes "2024-12-31" for that day's midnight and a
    # number for a timestamp: the schema says a date string.
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{info.field_name} must be an ISO date string")
    try:
        return parse_bound(value, str(info.field_name))
    except InputError as exc:
        raise ValueError(str(exc)) from None


DateBound = Annotated[datetime | date, BeforeValidator(_date_bound)]


class Scoped(BaseModel):
    """The fields that narrow what a question is answered from (`rag.types.Scope`)."""

    sources: list[str] | None = Field(
        default=None, max_length=100, description="Only search these documents (source paths)."
    )
    since: DateBound | None = Field(
        default=None,
        description="Only articles published on or after this ISO date or date-time "
        "(a time without a zone is UTC); articles of unknown date are left out.",
    )
    until: DateBound | None = Field(
        default=None,
        description="Only articles published on or before this ISO date (all of that day) "
        "or date-time; articles of unknown date are left out.",
    )

    def scope(self) -> Scope:
        """The filter; an InputError (400) when ``since`` is later than ``until``."""
        return Scope(sources=self.sources, since=self.since, until=self.until)


class AskRequest(Scoped):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, pattern=NOT_BLANK)
    history: list[HistoryTurn] = Field(default_factory=list, max_length=MAX_HISTORY)
    top_k: TopK | None = None
    generator: GeneratorName | None = Field(
        default=None, description="Overrides RAG_LLM for this question."
    )


UrlField = Annotated[
    str, Field(min_length=1, max_length=MAX_URL_CHARS, description="An http:// or https:// URL.")
]


class UrlIngestRequest(BaseModel):
    """A web page to ingest as a job, named by its canonical URL."""

    model_config = ConfigDict(extra="forbid")

    url: UrlField


class FeedIngestRequest(BaseModel):
    """An RSS or Atom feed: every entry's page is ingested, as one job."""

    model_config = ConfigDict(extra="forbid")

    feed: UrlField


ErrorType = Literal[
    "invalid_request_error",
    "authentication_error",
    "permission_error",
    "not_found_error",
    "rate_limit_error",
    "server_error",
]


class ErrorBody(BaseModel):
    """OpenAI's error object; `param` names the request field at fault, `code` the failure."""

    message: str
    type: ErrorType
    param: str | None
    code: str | None


class ErrorResponse(BaseModel):
    error: ErrorBody


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses, all in the ErrorResponse shape."""
    return {code: {"model": ErrorResponse} for code in codes}


class Readiness(BaseModel):
    ready: bool
    store: bool = Field(description="The vector store answers.")
    generator: bool = Field(
        description="The configured LLM server answers (always for extractive)."
    )


class ContentPart(BaseModel):
    """One part of a multi-part message; only text parts are read."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(max_length=100)
    text: MessageText | None = None


class OpenAIMessage(BaseModel):
    """OpenAI's message shape; content may be a string or a list of text parts."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: MessageText | list[ContentPart] | None = Field(default=None)

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


# OpenAI request fields asking for what one cited text answer cannot give, each with the
# test of a value that asks for nothing (clients often send the default, or null).
_SERVABLE: dict[str, Callable[[Any], bool]] = {
    "n": lambda value: value in (None, 1),
    "tools": lambda value: not value,
    "tool_choice": lambda value: value in (None, "none"),
    "functions": lambda value: not value,
    "function_call": lambda value: value in (None, "none"),
    "logprobs": lambda value: value in (None, False),
    "top_logprobs": lambda value: value in (None, 0),
    "logit_bias": lambda value: not value,
    "response_format": lambda value: value is None or value == {"type": "text"},
    "audio": lambda value: value is None,
    "modalities": lambda value: value in (None, ["text"]),
    "prediction": lambda value: value is None,
}
MaxTokens = Annotated[int, Field(ge=1), BeforeValidator(_json_integer)]


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# OpenAI takes one stop string or up to four; the assistant always gets a list.
StopWords = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(max_length=4),
    BeforeValidator(_one_or_more),
]


class ChatCompletionRequest(Scoped):
    """OpenAI's chat request. Fields the assistant cannot honour get a 400 naming them
    (see `unsupported`); other unknown fields (user, seed, metadata...) are ignored.
    ``sources``, ``since`` and ``until`` are this server's own (the official client sends
    them with ``extra_body``)."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(default="news-rag", max_length=200)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=MAX_CHAT_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    top_k: TopK | None = None
    # Sampling for LLM generators (the extractive one has none to set).
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: MaxTokens | None = Field(
        default=None, description="Most tokens the LLM may generate for the answer."
    )
    stop: StopWords | None = Field(
        default=None, description="Up to 4 sequences that end the LLM's answer."
    )

    def unsupported(self) -> str | None:
        """The first field asking for what the assistant cannot give, if any."""
        extra = self.model_extra or {}
        return next(
            (name for name, servable in _SERVABLE.items() if not servable(extra.get(name))), None
        )


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ChoiceMessage
    # "length" when the caller's max_tokens cut the answer (ui.cutoff).
    finish_reason: Literal["stop", "length"] = "stop"


class Usage(BaseModel):
    """Token counts in tiktoken's cl100k encoding (the assistant is not one tokenizer)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    citations: list[Citation] = Field(description="Verified citations behind the [n] markers.")
    refused: bool = False


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "news-rag"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
