"""The typed records passed between stages: Article → Chunk → Hit → Citation → Answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .errors import InputError
from .language.dates import bound_seconds, parse_bound

Similarity = Callable[[str, Sequence[str]], list[float]]
"""Cosine similarity of one text (a question or a claim) to each of many (source sentences)."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Article(_Record):
    """One loaded document with its full text, so citations can index into it."""

    doc_id: str = Field(description="Stable id derived from `source`.")
    source: str = Field(description="Path relative to the ingested folder, '/' separated.")
    text: str = Field(description="The article's full text; offsets point into it.")
    title: str | None = None
    url: str | None = None
    published: str | None = Field(default=None, description="Publication date, ISO if known.")
    author: str | None = Field(default=None, description="Byline, as the page's metadata gives it.")
    site: str | None = Field(default=None, description="The publishing site's name.")
    sha256: str = Field(description="Hash of `text`: an unchanged article is not re-ingested.")


class Chunk(_Record):
    """A contiguous span of an article, the unit that is embedded and retrieved."""

    chunk_id: str = Field(description="Content hash of source, offset and text.")
    doc_id: str
    source: str
    text: str
    start: int = Field(ge=0, description="Character offset of `text` in the article.")
    end: int = Field(ge=0)
    title: str | None = None
    published: str | None = None


class Hit(_Record):
    """A retrieved chunk with its fused score and the ranks that produced it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None


class Citation(_Record):
    """A verified pointer from an answer to an exact sentence of a source."""

    n: int = Field(ge=1, description="The [n] marker used in the answer text.")
    chunk_id: str
    source: str
    quote: str = Field(description="Verbatim source text: article.text[start:end] == quote.")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    title: str | None = None
    published: str | None = None


class Conflict(_Record):
    """Two sources that state different values for the same fact."""

    topic: str
    claims: list[str] = Field(description="Each claim with its [n] marker.")
    citations: list[int] = Field(description="The citation numbers involved.")


class Answer(BaseModel):
    """What every front end shows: text with [n] markers and the verified citations."""

    model_config = ConfigDict(extra="forbid")

    answer: str
    refused: bool = False
    citations: list[Citation] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    generator: str
    notice: str | None = Field(default=None, description="Why a fallback or refusal happened.")
    timings_ms: dict[str, float] = Field(default_factory=dict)


class DocumentInfo(_Record):
    """One ingested document as listed by `rag docs list` and the API."""

    doc_id: str
    source: str
    title: str | None
    chunks: int
    ingested_at: str
    published: str | None = None
    author: str | None = None
    url: str | None = None


DocumentSort = Literal["source", "published", "title"]
"""How documents are listed: by source path, newest first (undated last), or by title."""


class Scope(_Record):
    """Which articles a question may be answered from: some sources, a date range, or both.

    ``since`` and ``until`` are dates or date-times (a time without a zone is UTC); a date
    counts as its whole day, so ``until=2024-12-31`` includes that day. A date filter
    leaves out every article whose publication date is unknown.
    """

    sources: list[str] | None = Field(default=None, description="Only these source paths.")
    since: datetime | date | None = Field(default=None, description="Published on or after.")
    until: datetime | date | None = Field(default=None, description="Published on or before.")

    @field_validator("since", "until", mode="before")
    @classmethod
    def _parsed(cls, value: object, info: ValidationInfo) -> object:
        # pydantic would read "2024-12-31" as that day's midnight, not the whole day.
        return parse_bound(value, str(info.field_name)) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        # An InputError, not a ValueError: pydantic passes it through, so an edge reports
        # it as bad input (400, exit 2) whichever way the scope was made.
        low, high = self.bounds()
        if low is not None and high is not None and low > high:
            raise InputError(f"since ({self.since}) is later than until ({self.until})")
        return self

    def bounds(self) -> tuple[float | None, float | None]:
        """``since`` and ``until`` in seconds since the epoch (None where not given)."""
        low = None if self.since is None else bound_seconds(self.since, end=False)
        high = None if self.until is None else bound_seconds(self.until, end=True)
        return low, high

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def everything(self) -> bool:
        return not self.sources and not self.dated


class IngestReport(BaseModel):
    """What one ingestion run did, for the CLI, the API and the benchmarks."""

    files_seen: int = 0
    files_total: int = Field(
        default=0, description="Files (or feed entries) this run will read; 0 until known."
    )
    documents_added: int = 0
    documents_changed: int = 0
    documents_unchanged: int = 0
    documents_removed: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    skipped: list[str] = Field(default_factory=list, description="'path: reason' per skipped file.")
    seconds: float = 0.0


class ChatMessage(_Record):
    """One earlier turn of a conversation."""

    role: Literal["user", "assistant", "system"]
    content: str


class StreamEvent(_Record):
    """One server-sent event of a streamed answer.

    ``reading``: the sources a reader is reading (``sources``, and ``text`` naming their
    titles), sent before the answer; ``token``: verified answer text to append;
    ``citations``: the citations so far; ``done``: the final Answer; ``error``: a
    message, after which the stream ends.
    """

    event: Literal["reading", "token", "citations", "done", "error"]
    text: str | None = None
    sources: list[str] | None = None
    citations: list[Citation] | None = None
    answer: Answer | None = None
    message: str | None = None


# The reader reads a caller's instructions with every question, and on CPU its latency
# grows with prompt tokens: about 1,000 tokens (10 s on 2 cores) is the most taken.
MAX_INSTRUCTIONS_CHARS = 4000


class CallerOptions(_Record):
    """What the caller of one question may set for an LLM reader (the extractive generator
    has nothing to set): its own instructions, from an API's system or developer
    messages, and the sampling temperature. Instructions shape how the answer is worded;
    they are never sources, and the answer is verified against the sources all the same.
    """

    instructions: str | None = Field(default=None, max_length=MAX_INSTRUCTIONS_CHARS)
    temperature: float | None = Field(default=None, ge=0, le=2)
