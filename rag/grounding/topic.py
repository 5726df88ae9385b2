"""Whether the articles an answer cites are about what the question asks.

A small reader that does not find the answer in the article a question is about copies
one from another article it was shown that happens to name the kind of thing asked for
("Which two officials swapped the ratified papers?" answered with two peers from a story
on House of Lords reform). Every word of such an answer is in its cited sentence, so the
answer checks pass; what gives it away is the article: none of its sentences says much of
what the question says, while a sentence of another shown article does.

So the cited articles are compared with the best of the articles shown (``topic_share`` of
it, ``rag.thresholds``), not with a fixed bar: a paraphrased or cross-lingual
question shares few words with every article, and then none is preferred. The measure is
the best single sentence of an article, since a whole article's vocabulary grows with its
length (a long story "covers" more of any question than a short one that answers it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ..language.sentences import split_sentences
from ..language.terms import content_terms, coverage, idf_weights
from ..thresholds import thresholds

ArticleText = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class Topic:
    """How much of the question the best sentence of each shown article covers, and the
    best of them."""

    articles: Mapping[str, float]
    best: float

    @classmethod
    def of(cls, question: str, sources: Iterable[str], article_text: ArticleText) -> Topic:
        terms = content_terms(question)
        sentences = {s: _sentence_terms(article_text(s) or "") for s in dict.fromkeys(sources)}
        weights = idf_weights(terms, [t for ts in sentences.values() for t in ts])
        articles = {
            source: max((coverage(terms, t, weights) for t in ts), default=0.0)
            for source, ts in sentences.items()
        }
        return cls(articles, max(articles.values(), default=0.0))

    def coverage(self, sources: Iterable[str]) -> float:
        """The best share of the question's weight one sentence of ``sources`` covers."""
        return max((self.articles.get(source, 0.0) for source in sources), default=0.0)

    def off_topic(self, sources: Iterable[str]) -> str | None:
        """Why the articles of ``sources`` are not about the question, or None."""
        cited = self.coverage(sources)
        if self.best > 0 and cited < thresholds().topic_share * self.best:
            return (
                f"no sentence of the cited articles says as much of the question "
                f"({cited:.0%}) as one of another shown article ({self.best:.0%})"
            )
        return None


def _sentence_terms(text: str) -> tuple[frozenset[str], ...]:
    return tuple(content_terms(span.text) for span in split_sentences(text))
