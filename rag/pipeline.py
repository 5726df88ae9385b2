"""The answering pipeline: condense → retrieve → generate → conflicts.

`Assistant` takes its collaborators (corpus, retriever, generators) or builds them from
settings. Each turn's evidence is worked out once (``rag.turn.Evidence``); a generator
(``rag.generation.registry``) turns it into a verified answer or a refusal. When an LLM
generator cannot answer (down, slow, a reply out of format), the fallback generator's
answer is shown instead, with a notice, rather than an error.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator, Mapping, Sequence

from pydantic import BaseModel, ConfigDict

from .errors import InputError, LLMUnavailableError
from .generation.base import Draft
from .generation.base import Generator as AnswerGenerator
from .generation.candidates import Candidates, candidates_for
from .generation.extractive import answering_sentences
from .generation.prompts import REFUSAL
from .generation.reader import ReaderOutputError
from .generation.registry import FALLBACK, build_generators
from .grounding.citations import Grounded
from .grounding.compose import Composed, merge, standalone_question, with_conflicts
from .grounding.conflicts import detect_conflicts
from .retrieval.base import Retriever
from .retrieval.corpus import Corpus
from .retrieval.hybrid import HybridRetriever
from .retrieval.similarity import CachedSimilarity
from .settings import GeneratorName, Settings
from .thresholds import thresholds
from .turn import Evidence
from .types import Answer, CallerOptions, ChatMessage, Conflict, Hit, Scope, StreamEvent


class Turn(BaseModel):
    """One answered question with what retrieval returned (evals score both)."""

    model_config = ConfigDict(frozen=True)

    answer: Answer
    hits: list[Hit]
    question: str


class Assistant:
    """Opened once per process; thread-safe; LLM calls bounded by ``llm_concurrency``.

    The corpus, retriever and generators can be handed in (tests, evals sharing one
    corpus); by default each is built from ``settings``."""

    def __init__(
        self,
        settings: Settings,
        corpus: Corpus | None = None,
        retriever: Retriever | None = None,
        generators: Mapping[GeneratorName, AnswerGenerator] | None = None,
    ) -> None:
        self.settings = settings
        self.corpus = corpus or Corpus(settings)
        self.similarity = CachedSimilarity(self.corpus.embedder)
        self.retriever = retriever or HybridRetriever(self.corpus, self.similarity.query_vector)
        self.generators = dict(generators) if generators else build_generators(settings)

    def readiness(self) -> dict[str, bool]:
        generator = self.generators[self.settings.llm]
        return {"store": self.corpus.store.healthy(), "generator": generator.healthy()}

    def tokens_generated(self) -> int:
        """Tokens the LLMs generated for this process so far (for the API's metrics)."""
        return sum(g.tokens_generated for g in self.generators.values())

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
        evidence = Evidence(
            question, standalone, hits, self.similarity, self.corpus.manifest.article_text
        )
        answer = yield from self._answer(evidence, name, options or CallerOptions())
        done = time.perf_counter()
        answer.timings_ms = {
            "retrieve": round((retrieved - started) * 1000, 1),
            "generate": round((done - retrieved) * 1000, 1),
            "total": round((done - started) * 1000, 1),
        }
        return Turn(answer=answer, hits=hits, question=standalone)

    def _answer(
        self, evidence: Evidence, name: GeneratorName, options: CallerOptions
    ) -> Generator[StreamEvent, None, Answer]:
        """The generator's verified answer or refusal; the fallback's if it cannot answer."""
        notice: str | None = None
        try:
            draft: Draft = yield from self.generators[name].draft(evidence, options)
        except LLMUnavailableError as exc:
            what = "LLM's reply was not in the format asked for"
            what = what if isinstance(exc, ReaderOutputError) else "LLM unavailable"
            notice = f"{what}, extractive answer instead: {exc}"
            draft = yield from self.generators[FALLBACK].draft(evidence, options)
        if draft.grounded is None:
            return _refusal(name, notice or draft.reason)
        return self._final(evidence, draft.grounded, name, notice)

    def candidates(self, question: str, hits: Sequence[Hit]) -> Candidates:
        """The numbered sentences a reader gets for ``question`` (benchmarks time the LLM
        on exactly these)."""
        evidence = Evidence.of(question, hits, self.similarity, self.corpus.manifest.article_text)
        settings = self.settings
        return candidates_for(evidence, settings.reader_sentences, settings.reader_budget_tokens)

    def _final(
        self, evidence: Evidence, grounded: Grounded, name: GeneratorName, notice: str | None
    ) -> Answer:
        composed, conflicts = self._conflicts(evidence, merge([grounded]))
        return Answer(
            answer=composed.text,
            citations=composed.citations,
            conflicts=conflicts,
            generator=name,
            notice=notice,
        )

    def _conflicts(self, evidence: Evidence, composed: Composed) -> tuple[Composed, list[Conflict]]:
        # Only sentences that answer the question can disagree on its answer.
        ranked = answering_sentences(evidence)[: thresholds().conflict_candidates]
        extra = [(sentence, n) for n, sentence in enumerate(ranked, start=1)]
        return with_conflicts(composed, detect_conflicts(evidence.standalone, extra), extra)

    def close_clients(self) -> None:
        """Close the generators' clients (the corpus may be shared and stays open)."""
        for generator in self.generators.values():
            generator.close()

    def close(self) -> None:
        self.close_clients()
        self.corpus.close()


def _refusal(name: GeneratorName, reason: str | None) -> Answer:
    return Answer(answer=REFUSAL, refused=True, generator=name, notice=reason)


def _checked(question: str, limit: int) -> str:
    cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
    if not cleaned:
        raise InputError("the question is empty")
    if len(cleaned) > limit:
        raise InputError(f"the question is too long ({len(cleaned)} > {limit} characters)")
    return cleaned
