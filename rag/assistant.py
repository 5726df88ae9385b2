"""The answering pipeline: condense → retrieve → refuse? → generate → verify → conflicts.

Every generator's text passes through the same grounding: an LLM draft keeps only the
sentences a retrieved passage supports, and the best supporting source sentences (the
extractive answer) are always shown with it. So a weak local model can add a direct
answer but never remove the evidence, and an LLM failure degrades to the extractive
answer with a notice instead of an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator, Sequence

from pydantic import BaseModel, ConfigDict

from .citations import Grounded, verify
from .compose import Composed, merge, standalone_question, with_conflicts
from .conflicts import detect_conflicts
from .corpus import Corpus
from .errors import InputError, LLMUnavailableError
from .extractive import (
    analyse_for,
    answering_sentences,
    evidence_passages,
    extractive_answer,
)
from .llm import LLMClient
from .overlap import content_terms
from .prompts import REFUSAL, LLMMode, Prompt, build_answer_prompt, parse_answer
from .reader import read_span
from .refusal import should_refuse
from .retrieval import HybridRetriever
from .settings import GeneratorName, Settings
from .similarity import CachedSimilarity
from .types import Answer, ChatMessage, Conflict, Hit, StreamEvent

# Sentences per source considered when looking for sources that disagree.
_CONFLICT_CANDIDATES = 12


class Turn(BaseModel):
    """One answered question with what retrieval returned (evals score both)."""

    model_config = ConfigDict(frozen=True)

    answer: Answer
    hits: list[Hit]
    question: str


class Assistant:
    """Opened once per process; thread-safe; LLM calls bounded by ``llm_concurrency``."""

    def __init__(self, settings: Settings, corpus: Corpus | None = None) -> None:
        self.settings = settings
        self.corpus = corpus or Corpus(settings)
        self.retriever = HybridRetriever(self.corpus)
        self.similarity = CachedSimilarity(self.corpus.embedder)
        self._llm_slots = threading.BoundedSemaphore(settings.llm_concurrency)
        self._clients: dict[str, LLMClient] = {}
        self._clients_lock = threading.Lock()

    def _client(self, generator: GeneratorName) -> LLMClient:
        with self._clients_lock:
            if generator not in self._clients:
                settings = self.settings.model_copy(update={"llm": generator})
                if generator == "openai":
                    settings = settings.model_copy(update={"llm_mode": "chat"})
                self._clients[generator] = LLMClient.from_settings(settings)
            return self._clients[generator]

    def readiness(self) -> dict[str, bool]:
        store = self.corpus.store.healthy()
        if self.settings.llm == "extractive":
            return {"store": store, "generator": True}
        try:
            generator = self._client(self.settings.llm).health()
        except LLMUnavailableError:
            generator = False
        return {"store": store, "generator": generator}

    def tokens_generated(self) -> int:
        """Tokens the LLMs generated for this process so far (for the API's metrics)."""
        with self._clients_lock:
            return sum(client.tokens_generated for client in self._clients.values())

    def ask(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        top_k: int | None = None,
        generator: GeneratorName | None = None,
        sources: Sequence[str] | None = None,
    ) -> Answer:
        return self.run(question, history, top_k, generator, sources).answer

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        top_k: int | None = None,
        generator: GeneratorName | None = None,
        sources: Sequence[str] | None = None,
    ) -> Iterator[StreamEvent]:
        """Verified text as `token` events, each followed by the `citations` so far, then
        `done` with the final Answer.

        Only verified text is ever sent, and never taken back: the evidence sentences
        are final as soon as retrieval and grounding are done, so they go out before the
        LLM has written a word; its verified short answer (and any conflict) follows.
        """
        steps = self._turn(question, history, top_k, generator, sources)
        shown = ""
        try:
            while True:
                evidence = next(steps)
                shown = evidence.answer
                yield StreamEvent(event="token", text=shown)
                yield StreamEvent(event="citations", citations=list(evidence.citations))
        except StopIteration as stop:
            answer = stop.value.answer
        if answer.answer != shown:
            yield StreamEvent(event="token", text=answer.answer.removeprefix(shown))
            yield StreamEvent(event="citations", citations=answer.citations)
        yield StreamEvent(event="done", answer=answer)

    def run(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        top_k: int | None = None,
        generator: GeneratorName | None = None,
        sources: Sequence[str] | None = None,
    ) -> Turn:
        steps = self._turn(question, history, top_k, generator, sources)
        while True:
            try:
                next(steps)
            except StopIteration as stop:
                turn: Turn = stop.value
                return turn

    def _turn(
        self,
        question: str,
        history: Sequence[ChatMessage],
        top_k: int | None,
        generator: GeneratorName | None,
        sources: Sequence[str] | None,
    ) -> Generator[Grounded, None, Turn]:
        """Answer, yielding the evidence first when it will open the answer."""
        started = time.perf_counter()
        question = _checked(question, self.settings.max_question_chars)
        name: GeneratorName = generator or self.settings.llm
        standalone = standalone_question(question, history)
        hits = self.retriever.retrieve(standalone, top_k or self.settings.top_k, sources)
        retrieved = time.perf_counter()
        evidence = extractive_answer(standalone, hits, self.similarity)
        decision = should_refuse(question, hits, evidence.support)
        if decision.refused:
            answer = Answer(answer=REFUSAL, refused=True, generator=name, notice=decision.reason)
        else:
            yield evidence
            answer = self._answer(standalone, hits, evidence, name)
        done = time.perf_counter()
        answer.timings_ms = {
            "retrieve": round((retrieved - started) * 1000, 1),
            "generate": round((done - retrieved) * 1000, 1),
            "total": round((done - started) * 1000, 1),
        }
        return Turn(answer=answer, hits=hits, question=standalone)

    def _answer(
        self, question: str, hits: list[Hit], evidence: Grounded, name: GeneratorName
    ) -> Answer:
        notice = None
        parts = [evidence]
        if name != "extractive":
            try:
                draft = self._draft(question, hits, evidence, name)
            except LLMUnavailableError as exc:
                draft, notice = None, f"LLM unavailable, extractive answer instead: {exc}"
            if draft is not None and draft.citations:
                parts = [evidence, draft]
            elif draft is not None:
                notice = "the LLM's answer was not supported by the sources; showing the evidence"
        composed, conflicts = self._conflicts(question, hits, merge(parts))
        if not composed.citations:
            return Answer(
                answer=REFUSAL,
                refused=True,
                generator=name,
                notice="nothing in the answer could be verified",
            )
        return Answer(
            answer=composed.text,
            citations=composed.citations,
            conflicts=conflicts,
            generator=name,
            notice=notice,
        )

    def _draft(
        self, question: str, hits: list[Hit], evidence: Grounded, name: GeneratorName
    ) -> Grounded | None:
        """The LLM's answer, verified; None when it says the passages do not answer."""
        client = self._client(name)
        passages, prompt = self._prompt(question, hits, evidence, name, client.mode)
        with self._llm_slots:
            text = client.complete(prompt)
        parsed = parse_answer(text)
        if parsed.refused or content_terms(parsed.text) <= content_terms(question):
            return None  # no answer, or one that only repeats the question
        if name == "local":
            span = read_span(parsed.text, analyse_for(question, hits), evidence)
            return span or Grounded(answer="", citations=(), supporting=(), support=0.0)
        return verify(text, passages[: len(prompt.passages)], self.similarity)

    def _prompt(
        self, question: str, hits: list[Hit], evidence: Grounded, name: str, mode: LLMMode
    ) -> tuple[list[Hit], Prompt]:
        """The passages and the prompt for generator ``name``.

        The small local model is a weak reader over whole chunks (it answers with names
        from the wrong sentence), so it reads only the evidence sentences and its short
        answer can cite nothing else; a real chat model (``openai``) reads the chunks.
        """
        passages = evidence_passages(evidence, hits) if name == "local" else hits
        prompt = build_answer_prompt(
            question,
            [h.chunk.text for h in passages],
            mode,
            context_tokens=self.settings.llm_ctx,
            answer_tokens=self.settings.llm_max_tokens,
        )
        return passages, prompt

    def local_prompt(self, question: str) -> Prompt:
        """The completion prompt the local generator sends for ``question`` (benchmarks
        time the LLM on exactly this)."""
        hits = self.retriever.retrieve(question, self.settings.top_k)
        evidence = extractive_answer(question, hits, self.similarity)
        return self._prompt(question, hits, evidence, "local", "completions")[1]

    def _conflicts(
        self, question: str, hits: list[Hit], composed: Composed
    ) -> tuple[Composed, list[Conflict]]:
        # Only sentences that answer the question can disagree on its answer.
        ranked = answering_sentences(question, hits, self.similarity)[:_CONFLICT_CANDIDATES]
        extra = [(sentence, n) for n, sentence in enumerate(ranked, start=1)]
        return with_conflicts(composed, detect_conflicts(question, extra), extra)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self.corpus.close()


def _checked(question: str, limit: int) -> str:
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise InputError("the question is empty")
    if len(cleaned) > limit:
        raise InputError(f"the question is too long ({len(cleaned)} > {limit} characters)")
    return cleaned
