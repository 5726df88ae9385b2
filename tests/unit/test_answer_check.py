"""The checks a reader's answer must pass: invented claims that share words with a source
sentence are dropped, real answers stand, near-misses are refused."""

from __future__ import annotations

import pytest

from rag.grounding.answer_check import check_answer, is_english, recite, stating
from rag.language.question import analyse
from rag.language.sentences import SourceSentence

pytestmark = pytest.mark.unit

EXCHANGE = (
    "The treaty took effect Wednesday after North Korea's Vice Foreign Minister Kim Jong Gyu "
    "and Russia's Vice Foreign Minister Andrei Rudenko exchanged ratification documents in "
    "Moscow, KCNA said."
)
BONDS = (
    "Argentina's bondholders are spread around the world: 15.6% in Italy, 10.3% in Japan "
    "and 9.1% in Switzerland."
)
ARTICLES = {"a.txt": EXCHANGE + " The pact was signed in June.", "b.txt": BONDS}


def _sentence(text: str, source: str) -> SourceSentence:
    return SourceSentence(text=text, start=0, end=len(text), source=source, chunk_id="c")


def _check(question: str, answer: str, sentence: str = EXCHANGE, source: str = "a.txt") -> str:
    verdict = check_answer(answer, [_sentence(sentence, source)], analyse(question), ARTICLES.get)
    return verdict.reason or "ok"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("Who exchanged the ratification documents?", "Kim Jong Gyu and Andrei Rudenko."),
        ("Where were the documents exchanged?", "In Moscow."),
        ("When did the treaty take effect?", "It took effect on Wednesday."),
        ("What share of Argentina's bondholders are in Italy?", "15.6%"),
        # "Yes" and "No" open an answer; they name nobody.
        ("Did the treaty take effect?", "Yes, on Wednesday."),
    ],
)
def test_answers_stated_by_their_sentence_stand(question: str, answer: str) -> None:
    source = "b.txt" if "Argentina" in question else "a.txt"
    sentence = BONDS if source == "b.txt" else EXCHANGE
    assert _check(question, answer, sentence, source) == "ok"


@pytest.mark.parametrize(
    ("question", "answer", "reason"),
    [
        # A wrong figure or day beside the sentence's own words.
        ("When did the treaty take effect?", "The treaty took effect on Friday.", "Friday"),
        ("How many ministers exchanged documents?", "Three vice ministers.", "number 3"),
        (
            "What share of Argentina's bondholders are in Italy?",
            "10.3% of them are in Italy.",
            "10.3",
        ),
        # A name from nowhere, in the sentence's own frame.
        ("Who exchanged the ratification documents?", "Sergei Lavrov and Kim.", "Sergei"),
        # Words the sentence never says.
        (
            "Why did the treaty take effect?",
            "Because parliament approved sweeping sanctions against energy exports.",
            "words",
        ),
        # Only the question again.
        ("Who exchanged the ratification documents?", "The documents were exchanged.", "repeats"),
    ],
)
def test_invented_claims_sharing_words_with_the_sentence_are_dropped(
    question: str, answer: str, reason: str
) -> None:
    assert reason in _check(question, answer)


@pytest.mark.parametrize(
    "question",
    [
        "What share of Argentina's bondholders reside in Spain?",  # the article lists others
        "Who exchanged the ratification documents in 2019?",  # a year the article lacks
    ],
)
def test_near_misses_are_refused_by_the_question_facts(question: str) -> None:
    source = "b.txt" if "Argentina" in question else "a.txt"
    sentence = BONDS if source == "b.txt" else EXCHANGE
    answer = "15.6% in Italy." if source == "b.txt" else "Kim Jong Gyu and Andrei Rudenko."
    assert "not in the cited articles" in _check(question, answer, sentence, source)


def test_a_name_of_the_question_found_elsewhere_in_the_article_is_no_near_miss() -> None:
    # "June" is not in the cited sentence but the article says it.
    question = "Who exchanged the documents of the pact signed in June?"
    assert _check(question, "Kim Jong Gyu and Andrei Rudenko.") == "ok"


def test_a_number_of_the_question_written_otherwise_in_the_article_is_no_near_miss() -> None:
    articles = {"o.txt": "Net browser Opera 8.0 is due for release next month."}
    sentence = _sentence("Users will have to wear a headset with a microphone.", "o.txt")
    question = analyse("How do users give voice commands to the Opera 8 browser?")
    assert check_answer("By wearing a headset.", [sentence], question, articles.get).ok
    question = analyse("How do users give voice commands to the Opera 9 browser?")
    reason = check_answer("By wearing a headset.", [sentence], question, articles.get).reason
    assert reason == "the question's 9 is not in the cited articles"


SUCCESSION = (
    "Airbus head Noel Forgeard is now set to replace Mr Camus, while Rainer Hertrich will "
    "stay on. Britain pays two and a half times more than France to the budget. Germany "
    "pays the most."
)


@pytest.mark.parametrize(
    ("question", "answer", "sentence", "said"),
    [
        # The question's frame, another filler: a near-miss whose names the article has.
        (
            "Who is set to replace Rainer Hertrich?",
            "Noel Forgeard.",
            "Airbus head Noel Forgeard is now set to replace Mr Camus.",
            "say replace Camus, the question replace Rainer Hertrich",
        ),
        (
            "How many times more than Germany does Britain pay?",
            "Two and a half times.",
            "Britain pays two and a half times more than France to the budget.",
            "say than France, the question than Germany",
        ),
    ],
)
def test_a_sentence_filling_the_questions_slot_with_another_name_is_a_near_miss(
    question: str, answer: str, sentence: str, said: str
) -> None:
    articles = {"s.txt": SUCCESSION}
    verdict = check_answer(answer, [_sentence(sentence, "s.txt")], analyse(question), articles.get)
    assert verdict.reason is not None and said in verdict.reason


@pytest.mark.parametrize(
    "question",
    [
        # The sentence names the question's own filler too: it may be about it.
        "Who is set to replace Mr Camus?",
        # "the" frames nothing: any name may follow it.
        "Who is set to replace the Airbus boss?",
    ],
)
def test_a_slot_the_sentence_fills_with_the_questions_own_name_stands(question: str) -> None:
    sentence = _sentence("Airbus head Noel Forgeard is now set to replace Mr Camus.", "s.txt")
    articles = {"s.txt": SUCCESSION}
    assert check_answer("Noel Forgeard.", [sentence], analyse(question), articles.get).ok


def test_no_citation_means_no_answer() -> None:
    verdict = check_answer("In Moscow.", [], analyse("Where?"), ARTICLES.get)
    assert not verdict.ok and "cites no" in (verdict.reason or "")


def test_names_of_questions_in_other_languages_are_not_held_to_english_articles() -> None:
    # German capitalises nouns: "Dokumente" is not a name the article must contain.
    question = "Wer hat die Dokumente ausgetauscht?"
    assert not is_english(question)
    assert _check(question, "Kim Jong Gyu und Andrei Rudenko.") == "ok"
    assert is_english("Who exchanged the documents?")


def test_an_answer_of_another_kind_than_asked_is_dropped() -> None:
    sentence = "Kim Jong Gyu and Andrei Rudenko exchanged the documents in Moscow."
    reason = _check("When were the documents exchanged?", "In Moscow.", sentence)
    assert "of the kind" in reason or "when question" in reason
    assert _check("Where were the documents exchanged?", "In Moscow.", sentence) == "ok"


SIGNED = "The agreement was signed in June by Kim Jong-un and Vladimir Putin."


def test_a_right_answer_citing_the_wrong_sentence_is_recited_to_the_one_stating_it() -> None:
    sentences = [_sentence(SIGNED, "b.txt"), _sentence(EXCHANGE, "a.txt")]
    question = analyse("Who exchanged the ratification documents?")
    answer = "Kim Jong Gyu and Andrei Rudenko"
    assert not check_answer(answer, sentences[:1], question, ARTICLES.get).ok
    assert recite(answer, sentences, question, ARTICLES.get) == sentences[1:]


def test_an_answer_no_candidate_states_is_not_recited() -> None:
    sentences = [_sentence(SIGNED, "b.txt"), _sentence(EXCHANGE, "a.txt")]
    question = analyse("Who exchanged the ratification documents?")
    assert recite("Sergei Lavrov and Choe Son Hui", sentences, question, ARTICLES.get) is None


def test_an_answer_is_not_recited_to_a_sentence_in_another_script() -> None:
    """Seen: an English answer moved to the Ukrainian caption "Путін та Кім Чен Ин", where
    no name or word of it can be compared, so every check passed."""
    sentences = [_sentence("Путін та Кім Чен Ин", "b.txt"), _sentence(SIGNED, "b.txt")]
    question = analyse("Who exchanged the ratification documents?")
    assert recite("Kim Jong Gyu and Andrei Rudenko", sentences, question, ARTICLES.get) is None


def test_names_are_checked_against_the_cited_sentences_in_their_own_script() -> None:
    """Seen on the sample gold set: "Andrei Rudenko" citing an English article's Cyrillic
    caption and a sentence on who signed. With any Cyrillic among the cited sentences,
    Latin names went unchecked and the answer stood on sentences that do not state it."""
    caption = _sentence("Путін та Кім Чен Ин", "b.txt")
    sentences = [caption, _sentence(SIGNED, "b.txt"), _sentence(EXCHANGE, "a.txt")]
    question = analyse("Who exchanged the ratification documents?")
    verdict = check_answer("Andrei Rudenko", sentences[:2], question, ARTICLES.get)
    assert verdict.reason == "the name 'Andrei' is not in the cited sentences"
    assert recite("Andrei Rudenko", sentences, question, ARTICLES.get) == sentences[2:]
    # A name in the caption's own script is still judged by the caption.
    assert check_answer("Путін", sentences[:2], analyse("Хто на фото?"), ARTICLES.get).ok


def test_citations_that_state_nothing_of_the_answer_are_left_out() -> None:
    """The reader cited the sentence on the signing beside the one on the exchange; only
    the second says anything the answer says beyond the question."""
    signed, exchange = _sentence(SIGNED, "b.txt"), _sentence(EXCHANGE, "a.txt")
    question = analyse("Where were the ratification documents exchanged?")
    assert stating("In Moscow.", [signed, exchange], question) == [exchange]
    # None states it (an answer in another script): the reader's citations stay.
    assert stating("У Москві.", [signed, exchange], question) == [signed, exchange]


def test_a_follow_up_with_the_previous_question_in_brackets_is_checked_by_its_names() -> None:
    """The bracketed question opens a sentence of its own: "Tell" is no name, but
    "Spain" in it still has to be in the cited article."""
    follow_up = "Who exchanged the ratification documents? (Tell me about the {} treaty.)"
    answer = "Kim Jong Gyu and Andrei Rudenko."
    assert _check(follow_up.format("Russia North Korea"), answer) == "ok"
    assert (
        _check(follow_up.format("Spain"), answer)
        == "the question's 'Spain' is not in the cited articles"
    )
