"""Question analysis: the kind of answer, its parts, its focus, names and named source."""

from __future__ import annotations

import pytest

from rag.language.question import (
    analyse,
    entity_phrases,
    focus_words,
    question_kind,
    question_terms,
)
from rag.language.terms import key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("On which day did KCNA report it?", "day"),
        ("When did the treaty take effect?", "when"),
        ("Коли набув чинності договір?", "when"),
        ("В який день повідомило KCNA?", "day"),
        ("Какого числа это было?", "date"),
        ("On what date did the Duma vote?", "date"),
        ("What calendar date does the report give?", "date"),
        ("In which month was it signed?", "month"),
        ("In what year did Labour come to power?", "year"),
        ("At what time of day were the documents exchanged?", "time"),
        ("How long will the treaty remain in force?", "duration"),
        ("In what time did Dibaba win the 5,000m?", "duration"),
        ("How many troops were sent?", "number"),
        ("How much did Time Warner earn?", "amount"),
        ("What share of Argentina's bondholders reside in Italy?", "amount"),
        ("What fraction of salary would a year of service earn?", "amount"),
        ("What time does the gig start?", "time"),
        ("Which actress played the lead?", "who"),
        ("Which company is she suing?", "org"),
        ("At what age did the conductor die?", "number"),
        ("Скільки солдатів відправили?", "number"),
        ("Who exchanged the documents?", "who"),
        ("Хто обмінявся документами?", "who"),
        ("Where were the documents exchanged?", "where"),
        ("In which city was the agreement signed?", "where"),
        # The first interrogative decides, not a "when" further on.
        ("Which governments were alarmed when the accord was approved?", "org"),
        ("What word did Putin use for the document when it was signed?", None),
        ("Why is Russia under sanctions?", None),
    ],
)
def test_question_kinds(question: str, kind: str | None) -> None:
    assert question_kind(question) == kind


def test_parts_split_on_a_second_interrogative_and_keep_their_names() -> None:
    parts = analyse("How did Putin describe the pact, and how did he hail it later?")
    assert [p.text for p in parts] == [
        "How did Putin describe the pact",
        "how did he hail it later? (Putin)",
    ]
    both = analyse("Where was the pact signed and where were the documents exchanged?")
    assert [p.kind for p in both] == ["where", "where"]
    assert [p.text for p in analyse("OK, and what does the pact formalise?")] == [
        "OK what does the pact formalise?"
    ]


def test_a_named_article_title_becomes_the_source() -> None:
    titles = ["News Brief", "Defence agreement between Russia and North Korea comes into force"]
    question = "According to the News Brief, on which day did the treaty take effect?"
    [named] = analyse(question, titles)
    assert named.source_title == "News Brief"
    assert named.text == "on which day did the treaty take effect?"
    [subject] = analyse("What date does the News Brief give for the report?", titles)
    assert subject.source_title == "News Brief"
    [experts] = analyse("What does Korea hope to obtain, according to experts?", titles)
    assert experts.source_title is None and "experts" in experts.text


def test_what_besides_excludes_is_not_asked() -> None:
    [part] = analyse("Besides mutual defence, what else do the two countries commit to?")
    assert part.text == "what else do the two countries commit to?"


def test_focus_entities_and_terms() -> None:
    assert focus_words("How many artillery shells did North Korea send?") == ["artillery", "shells"]
    assert focus_words("What is the capital of Australia?") == ["capital"]
    assert focus_words("Who exchanged the documents?") == []
    assert focus_words("Who is Ukraine's finance minister?") == ["finance", "minister"]
    assert focus_words("Who is the current president of South Korea?") == ["president"]
    assert entity_phrases("Who is the current president of South Korea?") == (("South", "Korea"),)
    assert entity_phrases("What did KCNA's report say about the State Duma?") == (
        ("KCNA",),
        ("State", "Duma"),
    )
    assert key("day") not in question_terms("On which day did KCNA report?")
    assert key("kcna") in question_terms("On which day did KCNA report?")
