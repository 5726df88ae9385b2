"""The topic check: an answer copied from an article the question is not about is dropped,
one from the article it is about stands, and no article is preferred when none fits."""

from __future__ import annotations

import pytest

from rag.grounding.answer_check import check_answer
from rag.grounding.topic import Topic
from rag.language.question import analyse
from rag.language.sentences import SourceSentence
from rag.language.terms import content_terms

pytestmark = pytest.mark.unit

TREATY = (
    "Treaty takes effect. The treaty took effect Wednesday after North Korea's Vice Foreign "
    "Minister Kim Jong Gyu and Russia's Vice Foreign Minister Andrei Rudenko exchanged "
    "ratification documents in Moscow. The pact was ratified by both parliaments."
)
LORDS = (
    "Lords reform plan. Lord Falconer and Baroness Morgan backed the plan on Tuesday. "
    "The reform would cut the number of peers."
)
BONDS = "Argentina's bondholders: 15.6% in Italy and 10.3% in Japan, officials said."
ARTICLES = {"treaty.txt": TREATY, "lords.txt": LORDS, "bonds.txt": BONDS}
QUESTION = "Which two officials swapped the ratified papers?"


def _topic(question: str = QUESTION) -> Topic:
    return Topic.of(question, ARTICLES, ARTICLES.get)


def test_the_article_the_question_is_about_fits() -> None:
    assert _topic().off_topic(["treaty.txt"]) is None


def test_an_article_sharing_only_common_words_is_off_topic() -> None:
    reason = _topic().off_topic(["lords.txt"])
    assert reason is not None and "another shown article" in reason


def test_no_article_is_preferred_when_none_states_the_question_terms() -> None:
    topic = _topic("Wer hat die Urkunden getauscht?")
    assert topic.best == 0.0
    assert topic.off_topic(["lords.txt"]) is None


def test_a_long_article_does_not_fit_by_having_every_word_somewhere() -> None:
    # Every question word, each in a sentence of its own: a whole-article vocabulary would
    # cover all of the question; no one sentence of it covers even half.
    scattered = (
        "Papers were filed. Peers swapped seats. Two votes were held. Officials ratified it."
    )
    articles = {**ARTICLES, "long.txt": scattered}
    topic = Topic.of(QUESTION, articles, articles.get)
    assert content_terms(QUESTION) <= content_terms(scattered)
    assert topic.coverage(["long.txt"]) < 0.5


def test_check_answer_drops_a_copied_answer_from_an_off_topic_article() -> None:
    sentence = LORDS.split(". ")[1]
    cited = [
        SourceSentence(text=sentence, start=0, end=len(sentence), source="lords.txt", chunk_id="c")
    ]
    answer = "Lord Falconer and Baroness Morgan."
    parts = analyse(QUESTION)
    assert check_answer(answer, cited, parts, ARTICLES.get).ok
    verdict = check_answer(answer, cited, parts, ARTICLES.get, _topic())
    assert not verdict.ok and "says as much of the question" in (verdict.reason or "")
