"""The typed values a sentence states, and the names it mentions."""

from __future__ import annotations

import pytest

from rag.language.terms import key
from rag.language.values import has_value, mentions_name, names, near_values, people, places, values

pytestmark = pytest.mark.unit


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
        ("money", "$1.5bn"),
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


def test_values_read_clock_times_parts_of_day_relative_days_and_durations() -> None:
    found = values("They met at 3pm on Tuesday morning, two days ago, for a five-year deal.")
    kinds = {(v.kind, v.value) for v in found}
    assert {("clock", "3pm"), ("daypart", "morning"), ("relative", "two days ago")} <= kinds
    assert ("duration", "five-year") in kinds
    race = values("She won in 14 minutes 32.93 seconds, inside the 14:39.29 record.")
    assert [v.value for v in race if v.kind == "duration"] == ["14 minutes", "32.93 seconds"]
    assert not [v for v in race if v.kind == "clock"]
    assert has_value(frozenset({"duration"}), "in force indefinitely")
    assert not has_value(frozenset({"duration", "clock"}), "a powerful driving force")


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        ("plans to cut almost a third of its 75,000 staff", "a third of"),
        ("pensions worth one-eightieth of final salary", "one-eightieth of"),
        ("1/60th of salary for each year", "1/60th"),
        ("Half the money went to charity", "half the"),
        ("two-thirds of voters backed it", "two-thirds of"),
    ],
)
def test_fractions_are_shares(text: str, fraction: str) -> None:
    assert [v.value for v in values(text) if v.kind == "fraction"] == [fraction]


def test_an_ordinal_is_no_fraction() -> None:
    assert not has_value(frozenset({"fraction"}), "He is seeking a third term in the 80th year.")


def test_whole_names_are_mentioned_not_names_that_end_alike() -> None:
    caption = "Russian President Vladimir Putin with North Korean leader Kim Jong Un"
    assert not mentions_name(caption, ("South", "Korea"))
    assert mentions_name("concern among the United States and South Korea", ("South", "Korea"))
    assert mentions_name("Mr Tsutsumi was arrested", ("Yoshiaki", "Tsutsumi"))
    assert mentions_name("It was signed in Pyongyang", ("Pyongyang",))


def test_people_follow_a_role_and_places_a_locative() -> None:
    text = "North Korean leader Kim Jong-un and President Putin met in Moscow, at the Kremlin."
    assert people(text) == {"Kim", "Putin"}
    assert places(text) == {"Moscow", "Kremlin"}
    assert not places("It was signed in June by their leaders.")


def test_words_near_a_value() -> None:
    text = "North Korea has sent over 10,000 troops to assist Russia."
    near = near_values(frozenset({"number"}), text)
    assert key("troops") in near and key("sent") in near
    assert not near_values(frozenset({"number"}), "No figure here.")
