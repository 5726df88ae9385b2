"""The reader: an instruct model picks the answer out of numbered source sentences and
cites them by number; what it says stands only if ``rag.grounding.answer_check`` agrees.

One reader serves every LLM generator (`local`, the bundled model behind llama.cpp, and
`openai`, any OpenAI-compatible server), so a stronger model gets the same verified,
sentence-cited answers. The reply is constrained to a JSON schema where the server can do
it (``response_format``); otherwise the prompt asks for the same JSON and `parse_reply`
also reads the ``[n]`` text format.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

from ..adapters.openai_client import LLMClient
from ..errors import LLMUnavailableError
from ..grounding.answer_check import Verdict, check_answer, recite, stating
from ..grounding.citations import Grounded, with_markers
from ..grounding.compose import Part, join
from ..grounding.topic import ArticleText, Topic
from ..language.question import Question
from ..language.sentences import SourceSentence
from ..types import CallerOptions
from .candidates import Candidates
from .prompts import (
    CONFIRM_MAX_TOKENS,
    CONFIRM_SCHEMA,
    READER_SCHEMA,
    ReaderReply,
    confirm_messages,
    parse_confirmation,
    parse_parts_reply,
    parse_reply,
    parts_schema,
    reader_messages,
)

_NO_OPTIONS = CallerOptions()


class ReaderOutputError(LLMUnavailableError):
    """The model answered, but not in the format asked for (so extraction answers)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What one reading produced: the verified answer, or None and why not."""

    grounded: Grounded | None
    reason: str | None


# One reply of the reader, what it answers (the question, or one of its parts) and the
# parts that answer is checked against.
Claim = tuple[str, Sequence[Question], ReaderReply]


class SentenceReader:
    """Reads candidates with one LLM client; at most ``slots`` calls in flight. With a
    ``checker`` (a client of the same model: its own server keeps its own prompt cached),
    an answer that passed the checks is put to the model once more
    (``rag.generation.prompts.CONFIRM_SYSTEM``) and stands only if it says the cited
    sentences state it."""

    def __init__(
        self,
        client: LLMClient,
        slots: threading.BoundedSemaphore,
        max_tokens: int,
        checker: LLMClient | None = None,
    ) -> None:
        self.client = client
        self.checker = checker
        self._slots = slots
        self._max_tokens = max_tokens

    @property
    def clients(self) -> tuple[LLMClient, ...]:
        return (self.client,) if self.checker is None else (self.client, self.checker)

    def read(
        self,
        question: str,
        parts: Sequence[Question],
        candidates: Candidates,
        article_text: ArticleText,
        options: CallerOptions = _NO_OPTIONS,
    ) -> Reading:
        """Ask, parse and check: a claim per part of the question, each checked against its
        part, and the answer stands only if every claim does. LLMUnavailableError
        (ReaderOutputError for a reply that is not the format) when none could be read."""
        claims: list[tuple[str, list[SourceSentence]]] = []
        for asked, claim_parts, reply in self.ask(question, parts, candidates, options):
            claim = self._verified(asked, claim_parts, reply, candidates, article_text)
            if isinstance(claim, str):
                return Reading(None, claim)
            claims.append(claim)
        return Reading(_grounded(claims, candidates.best_support), None)

    def _verified(
        self,
        question: str,
        parts: Sequence[Question],
        reply: ReaderReply,
        candidates: Candidates,
        article_text: ArticleText,
    ) -> tuple[str, list[SourceSentence]] | str:
        """The reply's answer to ``question`` (of ``parts``) and the sentences it stands
        on, else why it was dropped."""
        answer = reply.answer
        if answer is None:
            return "the reader found no answer in the sources"
        sentences = [s for _, s in candidates.numbered]
        topic = Topic.of(question, (s.source for s in sentences), article_text)
        cited = _cited(reply, candidates)
        verdict: Verdict = check_answer(answer, cited, parts, article_text, topic)
        if not verdict.ok:
            recited = recite(answer, sentences, parts, article_text, topic)
            if recited is None:
                return f"the reader's answer was dropped: {verdict.reason}"
            cited = recited
        # Before the second look, so it judges the sentences the answer will cite (dev: one
        # more right answer, one wrong one fewer, than pruning after it).
        cited = stating(answer, cited, parts)
        if self.checker is not None and not self.confirms(question, answer, cited):
            return "the reader did not find its answer in the cited sentences"
        return answer, cited

    def ask(
        self,
        question: str,
        parts: Sequence[Question],
        candidates: Candidates,
        options: CallerOptions = _NO_OPTIONS,
    ) -> list[Claim]:
        """The reader's claims: one per part when the question has several (or one for the
        whole question, from a server that answered in the single format)."""
        several = [part.text for part in parts] if len(parts) > 1 else []
        messages = reader_messages(question, candidates.numbered, options.instructions, several)
        with self._slots:
            text = self.client.complete(
                messages,
                max_tokens=self._max_tokens * max(1, len(several)),
                json_schema=parts_schema(len(several)) if several else READER_SCHEMA,
                temperature=options.temperature,
            )
        try:
            if several:
                with suppress(ValueError):
                    replies = parse_parts_reply(text, len(several))
                    pairs = zip(parts, replies, strict=True)
                    return [(part.text, [part], reply) for part, reply in pairs]
            return [(question, parts, parse_reply(text))]
        except ValueError as exc:
            raise ReaderOutputError(str(exc)) from exc

    def confirms(self, question: str, answer: str, cited: Sequence[SourceSentence]) -> bool:
        """The model's verdict on whether ``cited`` states ``answer`` to ``question`` (asked
        of the checker, if there is one); deterministic whatever temperature the caller
        chose for the answer."""
        with self._slots:
            text = (self.checker or self.client).complete(
                confirm_messages(question, answer, cited),
                max_tokens=CONFIRM_MAX_TOKENS,
                json_schema=CONFIRM_SCHEMA,
                temperature=0.0,
            )
        try:
            return parse_confirmation(text)
        except ValueError as exc:
            raise ReaderOutputError(str(exc)) from exc


def _cited(reply: ReaderReply, candidates: Candidates) -> list[SourceSentence]:
    """The candidates the reply cites, once each, in the order cited; numbers that name no
    candidate are ignored here (an answer left citing nothing is dropped by the checks)."""
    cited: dict[tuple[str, int], SourceSentence] = {}
    for n in reply.sentences:
        sentence = candidates.sentence(n)
        if sentence is not None:
            cited.setdefault((sentence.source, sentence.start), sentence)
    return list(cited.values())


def _grounded(claims: Sequence[tuple[str, list[SourceSentence]]], support: float) -> Grounded:
    """The claims as one answer, each with its markers, a sentence cited by two numbered
    once."""
    parts: list[Part] = []
    for answer, cited in claims:
        numbers = range(1, len(cited) + 1)
        parts.append((with_markers(answer, numbers), list(zip(cited, numbers, strict=True))))
    joined = join(parts, separator=" ")
    return Grounded(
        answer=joined.text,
        citations=tuple(joined.citations),
        supporting=tuple(joined.supporting),
        support=support,
    )
