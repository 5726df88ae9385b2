"""The answering pipeline: condense → retrieve → read → verify → conflicts.

Two ways to answer, one grounding. LLM generators (`local`, `openai`) hand the best
source sentences, numbered, to a reader that answers in JSON and cites by number; its
answer stands only when the checks of ``rag.grounding.answer_check`` pass, and refusal
is decided there, after reading. `extractive` answers with the best supporting source
sentence itself. When the LLM is down, slow or answers out of format, the extractive
answer is shown instead, with a notice, rather than an error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator, Sequence

from pydantic import BaseModel, ConfigDict

from .citations import Grounded
from .compose import Composed, merge, standalone_question, with_conflicts
from .conflicts import detect_conflicts
from .corpus import Corpus
from .errors import InputError, LLMUnavailableError
from .extractive import analyse_for, answering_sentences, extractive_answer
from .generation.candidates import Candidates, ranked_candidates, select_candidates
from .generation.prompts import REFUSAL
from .generation.reader import ReaderOutputError, SentenceReader
from .llm import LLMClient
from .question import Question
from .refusal import is_prompt_injection, should_refuse
from .retrieval import HybridRetriever
from .settings import GeneratorName, Settings
from .similarity import CachedSimilarity
from .types import Answer, CallerOptions, ChatMessage, Conflict, Hit, Scope, StreamEvent

# Sentences per source considered when looking for sources that disagree.
_CONFLICT_CANDIDATES = 12
# Below this best support, retrieval found nothing near the question and the reader is
# not asked. Measured on the BBC dev split with the whole corpus in the store: at 0.2,
# 18 of 43 unanswerable questions stop here and 4 of 92 answerable ones (lowest 0.10);
# 0.15 keeps 3 more answerable and lets 6 more unanswerable through to a reader that
# rarely refuses by itself, and a wrong answer costs more than a refusal.
READER_MIN_SUPPORT = 0.2
_NOT_READ = "The question asks to step outside the sources."


class Turn(BaseModel):
    """One answered question with what retrieval returned (evals score both)."""

    model_config = ConfigDict(frozen=True)

    answer: Answer
    hits: list[Hit]
    question: str


class Assistant:
    """Opened once per process; thread-safe; LLM calls bounded by ``llm_concurrency``.

    The corpus and retriever can be handed in (tests, evals sharing one corpus); by
    default both are built from ``settings``."""

    def __init__(
        self,
        settings: Settings,
        corpus: Corpus | None = None,
        retriever: HybridRetriever | None = None,
    ) -> None:
        self.settings = settings
        self.corpus = corpus or Corpus(settings)
        self.retriever = retriever or HybridRetriever(self.corpus)
        self.similarity = CachedSimilarity(self.corpus.embedder)
        self._llm_slots = threading.BoundedSemaphore(settings.llm_concurrency)
        self._readers: dict[str, SentenceReader] = {}
        self._readers_lock = threading.Lock()

    def reader(self, generator: GeneratorName) -> SentenceReader:
        """The reader of an LLM generator, its client made on first use."""
        with self._readers_lock:
            if generator not in self._readers:
                client = LLMClient.from_settings(
                    self.settings.model_copy(update={"llm": generator})
                )
                self._readers[generator] = SentenceReader(
                    client, self._llm_slots, self.settings.llm_max_tokens
                )
            return self._readers[generator]

    def readiness(self) -> dict[str, bool]:
        store = self.corpus.store.healthy()
        if self.settings.llm == "extractive":
            return {"store": store, "generator": True}
        try:
            generator = self.reader(self.settings.llm).client.health()
        except LLMUnavailableError:
            generator = False
        return {"store": store, "generator": generator}

    def tokens_generated(self) -> int:
        """Tokens the LLMs generated for this process so far (for the API's metrics)."""
        with self._readers_lock:
            return sum(r.client.tokens_generated for r in self._readers.values())

    def ask(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        top_k: int | None = None,
        generator: GeneratorName | None = None,
        scope: Scope | None = None,
        *,
        options: CallerOptions | None = None,
    ) -> Answer:
        return self.run(question, history, top_k, generator, scope, options=options).answer

    def stream(
        self,
        question: str,
        history: Sequence[ChatMessage] = (),
        top_k: int | None = None,
        generator: GeneratorName | None = None,
        scope: Scope | None = None,
        *,
        options: CallerOptions | None = None,
    ) -> Iterator[StreamEvent]:
        """Progress events, then the answer's verified text as `token` events, each
        followed by the `citations` so far, then `done` with the final Answer.

        Only verified text is ever sent, and never taken back. A reader first names the
        sources it is reading (`reading`, as soon as retrieval is done); the extractive
        evidence is final as soon as grounding is done, so it goes out at once.
        """
        steps = self._turn(question, history, top_k, generator, scope, options=options)
        shown = ""
        try:
            while True:
                event = next(steps)
                if event.event == "token":
                    shown += event.text or ""
                yield event
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
        scope: Scope | None = None,
        *,
        options: CallerOptions | None = None,
    ) -> Turn:
        steps = self._turn(question, history, top_k, generator, scope, options=options)
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
        scope: Scope | None,
        *,
        options: CallerOptions | None,
    ) -> Generator[StreamEvent, None, Turn]:
        """Answer, yielding what can be shown before the answer is complete."""
        started = time.perf_counter()
        question = _checked(question, self.settings.max_question_chars)
        name: GeneratorName = generator or self.settings.llm
        standalone = standalone_question(question, history)
        hits = self.retriever.retrieve(standalone, top_k or self.settings.top_k, scope)
        retrieved = time.perf_counter()
        if name == "extractive":
            answer = yield from self._extractive(question, standalone, hits, name)
        else:
            answer = yield from self._read(
                question, standalone, hits, name, options or CallerOptions()
            )
        done = time.perf_counter()
        answer.timings_ms = {
            "retrieve": round((retrieved - started) * 1000, 1),
            "generate": round((done - retrieved) * 1000, 1),
            "total": round((done - started) * 1000, 1),
        }
        return Turn(answer=answer, hits=hits, question=standalone)

    def _extractive(
        self,
        question: str,
        standalone: str,
        hits: list[Hit],
        name: GeneratorName,
        notice: str | None = None,
    ) -> Generator[StreamEvent, None, Answer]:
        """The best supporting sentences as the answer (also the LLM's fallback)."""
        evidence = extractive_answer(standalone, hits, self.similarity)
        decision = should_refuse(question, hits, evidence.support)
        if decision.refused:
            return _refusal(name, notice or decision.reason)
        yield StreamEvent(event="token", text=evidence.answer)
        yield StreamEvent(event="citations", citations=list(evidence.citations))
        return self._final(standalone, hits, evidence, name, notice)

    def _read(
        self,
        question: str,
        standalone: str,
        hits: list[Hit],
        name: GeneratorName,
        options: CallerOptions,
    ) -> Generator[StreamEvent, None, Answer]:
        """The reader's verified answer; refusal when it finds none or it fails the checks."""
        if is_prompt_injection(question) or not hits:
            return _refusal(name, _NOT_READ if hits else "Nothing relevant was found.")
        yield _reading_event(hits)  # before ranking: embedding the sentences takes longer
        parts = analyse_for(standalone, hits)
        candidates = self.candidates(standalone, hits, parts)
        if candidates.best_support < READER_MIN_SUPPORT:
            return _refusal(name, "Nothing near the question was found in the sources.")
        try:
            reading = self.reader(name).read(
                standalone, parts, candidates, self.corpus.manifest.article_text, options
            )
        except LLMUnavailableError as exc:
            what = "LLM's reply was not in the format asked for"
            what = what if isinstance(exc, ReaderOutputError) else "LLM unavailable"
            notice = f"{what}, extractive answer instead: {exc}"
            return (yield from self._extractive(question, standalone, hits, name, notice))
        if reading.grounded is None:
            return _refusal(name, reading.reason)
        return self._final(standalone, hits, reading.grounded, name, None)

    def candidates(
        self, question: str, hits: Sequence[Hit], parts: Sequence[Question] | None = None
    ) -> Candidates:
        """The numbered sentences a reader gets for ``question`` (benchmarks time the LLM
        on exactly these); ``parts`` is the question already analysed, if it was."""
        parts = analyse_for(question, hits) if parts is None else parts
        ranked = ranked_candidates(parts, hits, self.similarity)
        return select_candidates(
            ranked, self.settings.reader_sentences, self.settings.reader_budget_tokens
        )

    def _final(
        self,
        question: str,
        hits: list[Hit],
        grounded: Grounded,
        name: GeneratorName,
        notice: str | None,
    ) -> Answer:
        composed, conflicts = self._conflicts(question, hits, merge([grounded]))
        return Answer(
            answer=composed.text,
            citations=composed.citations,
            conflicts=conflicts,
            generator=name,
            notice=notice,
        )

    def _conflicts(
        self, question: str, hits: list[Hit], composed: Composed
    ) -> tuple[Composed, list[Conflict]]:
        # Only sentences that answer the question can disagree on its answer.
        ranked = answering_sentences(question, hits, self.similarity)[:_CONFLICT_CANDIDATES]
        extra = [(sentence, n) for n, sentence in enumerate(ranked, start=1)]
        return with_conflicts(composed, detect_conflicts(question, extra), extra)

    def close_clients(self) -> None:
        """Close the LLM clients (the corpus may be shared and stays open)."""
        with self._readers_lock:
            for reader in self._readers.values():
                reader.client.close()
            self._readers.clear()

    def close(self) -> None:
        self.close_clients()
        self.corpus.close()


def _refusal(name: GeneratorName, reason: str | None) -> Answer:
    return Answer(answer=REFUSAL, refused=True, generator=name, notice=reason)


def _reading_event(hits: Sequence[Hit]) -> StreamEvent:
    """The first event of a reader's answer: which articles it is reading."""
    titles = {h.chunk.source: h.chunk.title or h.chunk.source for h in hits}
    text = "Reading " + "; ".join(titles.values())
    return StreamEvent(event="reading", text=text, sources=list(titles))


def _checked(question: str, limit: int) -> str:
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise InputError("the question is empty")
    if len(cleaned) > limit:
        raise InputError(f"the question is too long ({len(cleaned)} > {limit} characters)")
    return cleaned
