"""Content-word keys, weighted coverage and the support mix."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rag.grounding.support import rescale_cosine, support_scores
from rag.language.terms import (
    content_sequence,
    content_terms,
    coverage,
    covers,
    idf_weights,
    key,
    proximity,
    tokens,
)
from rag.thresholds import DEFAULT

pytestmark = pytest.mark.unit


def test_tokens_keep_numbers_whole_and_drop_possessives() -> None:
    assert tokens("Russia’s 10,000 troops, 3.5% and Putin's") == [
        "russia",
        "10000",
        "troops",
        "3.5",
        "and",
        "putin",
    ]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("documents", "документами"),
        ("ratification", "ратифікаційними"),
        ("ratified", "ratification"),
        ("Putin", "Путін"),
        ("Australia", "Австралії"),
        ("Canberra", "Канберре"),
        ("exchanged", "exchange"),
        ("korea", "korean"),
        ("sent", "send"),
        ("drew", "draw"),
        ("hailed", "hail"),
        ("plays", "played"),
        ("taxes", "taxing"),
        ("watches", "watched"),
    ],
)
def test_keys_meet_across_inflection_and_script(a: str, b: str) -> None:
    assert covers(key(a.lower()), frozenset({key(b.lower())}))


@pytest.mark.parametrize(
    ("a", "b"), [("war", "ward"), ("capital", "Canberra"), ("10", "100"), ("bus", "bud")]
)
def test_unrelated_keys_do_not_meet(a: str, b: str) -> None:
    assert not covers(key(a.lower()), frozenset({key(b.lower())}))


def test_content_terms_skip_function_words_in_three_languages() -> None:
    assert content_terms("Who exchanged the ratification documents?") == {
        key("exchanged"),
        key("ratification"),
        key("documents"),
    }
    assert content_terms("Хто обмінявся ними?") == {key("обмінявся"), key("ними")}
    assert content_terms("Кто и когда это сделал?") == {key("сделал")}


def test_rare_terms_weigh_more_and_coverage_is_weighted() -> None:
    query = content_terms("artillery shells North Korea")
    pool = [content_terms(t) for t in ("North Korea sent troops", "North Korea signed", "Rain")]
    weights = idf_weights(query, pool)
    assert weights[key("artillery")] > weights[key("korea")]
    share = coverage(query, pool[0], weights)
    assert 0 < share < 0.5  # the common half of the question is the light half
    assert coverage(query, query, weights) == 1.0
    assert coverage(frozenset(), pool[0], {}) == 0.0


def test_cosines_are_rescaled_between_floor_and_ceiling() -> None:
    assert rescale_cosine(DEFAULT.cos_floor - 0.1) == 0.0
    assert rescale_cosine(DEFAULT.cos_ceil + 0.1) == 1.0
    assert rescale_cosine((DEFAULT.cos_floor + DEFAULT.cos_ceil) / 2) == pytest.approx(0.5)


def test_support_mixes_both_signals_or_stands_on_words_alone() -> None:
    def similarity(text: str, candidates: Sequence[str]) -> list[float]:
        return [DEFAULT.cos_ceil if "treaty" in c else DEFAULT.cos_floor for c in candidates]

    candidates = ["The treaty took effect.", "The pact came into force."]
    mixed = support_scores("When did the treaty take effect?", candidates, similarity)
    assert mixed[0].semantic == 1.0 and mixed[1].semantic == 0.0
    weight = DEFAULT.lexical_weight
    assert mixed[0].value == pytest.approx(weight * mixed[0].lexical + 1 - weight)
    alone = support_scores("When did the treaty take effect?", candidates, None)
    assert [s.value for s in alone] == [s.lexical for s in alone]
    assert support_scores("anything", [], similarity) == []


def test_proximity_rewards_query_terms_close_together() -> None:
    query = content_sequence("How did North Korea ratify the treaty?")
    close = content_sequence("On the part of North Korea, the document was ratified by decree.")
    apart = content_sequence(
        "North Korea sent troops last year, and much later the parliament in a far "
        "away country finally ratified it."
    )
    assert proximity(query, close) > proximity(query, apart) > 0
    assert proximity(query, content_sequence("Korea alone")) == 0.0
    assert proximity([], close) == 0.0
