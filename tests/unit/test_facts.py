"""What a question asks for, and the typed values a sentence states."""

from __future__ import annotations

import pytest

from rag.facts import focus_words, has_value, names, question_kind, question_terms, values
from rag.overlap import key

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("On which day did KCNA report it?", "when"),
        ("When did the treaty take effect?", "when"),
        ("Коли набув чинності договір?", "when"),
        ("В який день повідомило KCNA?", "when"),
        ("Какого числа это было?", "when"),
        ("How many troops were sent?", "number"),
        ("How much did Time Warner earn?", "number"),
        ("Скільки солдатів відправили?", "number"),
        ("Who exchanged the documents?", "who"),
        ("Хто обмінявся документами?", "who"),
        ("Where were the documents exchanged?", None),
    ],
)
def test_question_kinds(question: str, kind: str | None) -> None:
    assert question_kind(question) == kind


def test_values_read_weekdays_dates_months_years_and_numbers() -> None:
    found = values(
        "KCNA reported Thursday (5 December) that 10,000 troops, two ships "
        "and $1.5bn arrived in June 2024; May may come."
    )
    assert [(v.kind, v.value) for v in found] == [
        ("weekday", "thursday"),
        ("date", "12-05"),
        ("number", "10000"),
        ("number", "2"),
        ("number", "1.5e+09"),
        ("month", "6"),
        ("year", "2024"),
        ("month", "5"),
    ]
    assert [v.kind for v in values("on December 5 and Dec 6")] == ["date", "date"]


def test_has_value_and_names() -> None:
    assert has_value(frozenset({"weekday"}), "It took effect Wednesday.")
    assert not has_value(frozenset({"number"}), "It took effect Wednesday.")
    assert not has_value(frozenset(), "10 troops")
    assert names("The treaty took effect Wednesday after Kim Jong Gyu met Andrei Rudenko") == {
        "Kim",
        "Jong",
        "Gyu",
        "Andrei",
        "Rudenko",
    }


def test_focus_words_and_question_terms() -> None:
    assert focus_words("How many artillery shells did North Korea send?") == ["artillery", "shells"]
    assert focus_words("What is the capital of Australia?") == ["capital"]
    assert focus_words("Who exchanged the documents?") == []
    assert key("day") not in question_terms("On which day did KCNA report?")
    assert key("kcna") in question_terms("On which day did KCNA report?")
