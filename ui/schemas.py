"""Request and response bodies of the HTTP API; limits live here, so the schema shows them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from rag.types import Citation, ChatMessage

MAX_QUESTION_CHARS = 4000
MAX_HISTORY = 20
MAX_MESSAGE_CHARS = 8000
GeneratorField = Literal["local", "openai", "extractive"]


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    history: list[ChatMessage] = Field(default_factory=list, max_length=MAX_HISTORY)
    top_k: int | None = Field(default=None, ge=1, le=50)
    generator: GeneratorField | None = None
    sources: list[str] | None = Field(default=None, max_length=100)


    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return clean_question(value)


def clean_question(value: str) -> str:
    """Strip control characters (keeping newlines and tabs); a blank question is an error."""
    cleaned = "".join(ch for ch in value if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise ValueError("the question is empty")
    return cleaned


class ErrorBody(BaseModel):
    message: str
    type: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class OpenAIMessage(BaseModel):
    """OpenAI's message shape; content may be a string or a list of text parts."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = Field(default=None)

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat request we honour; other fields are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = Field(default="news-rag", max_length=200)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=MAX_HISTORY + 1)
    stream: bool = False
    top_k: int | None = Field(default=None, ge=1, le=50)


class ChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
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
