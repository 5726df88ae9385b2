"""What is worked out once per question and shared by every stage that needs it.

The question is analysed once (its parts, "according to" resolved against the retrieved
titles) and each part's sentences are ranked once, whoever asks first: the extractive
answer, the reader's candidates and the conflict check all read the same ranking, and
the embeddings behind it come from the one per-process cache (``CachedSimilarity``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .grounding.ranking import ScoredSentence, analyse_for, rank_sentences
from .grounding.topic import ArticleText
from .language.question import Question
from .types import Hit, Similarity


def _no_article(_source: str) -> str | None:
    return None


@dataclass(slots=True)
class Evidence:
    """One turn's question and what retrieval found for it."""

    question: str  # as the user asked it (for the injection screen)
    standalone: str  # with a follow-up's references resolved: what is answered
    hits: list[Hit]
    similarity: Similarity | None
    # The whole text of an article by source, for checks that look past the hits.
    article_text: ArticleText = _no_article
    parts: list[Question] = field(init=False)
    _ranked: dict[int, list[ScoredSentence]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.parts = analyse_for(self.standalone, self.hits)

    @classmethod
    def of(
        cls,
        question: str,
        hits: Sequence[Hit],
        similarity: Similarity | None = None,
        article_text: ArticleText = _no_article,
    ) -> Evidence:
        """Evidence for a question that is its own standalone form (tests, benchmarks)."""
        return cls(question, question, list(hits), similarity, article_text)

    def ranked(self, part: int = 0) -> list[ScoredSentence]:
        """Every sentence of the hits, best answer to ``parts[part]`` first."""
        if part not in self._ranked:
            self._ranked[part] = rank_sentences(self.parts[part], self.hits, self.similarity)
        return self._ranked[part]
