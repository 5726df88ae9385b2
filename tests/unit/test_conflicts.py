"""Sources that disagree on the asked-for value are reported; agreement and different
facts are not."""

from __future__ import annotations

import pytest

from rag.grounding.conflicts import detect_conflicts
from rag.language.sentences import SourceSentence

pytestmark = pytest.mark.unit

REPORT_DAY = "On which day did KCNA report that the agreement came into force?"
WED_000 = "This was reported by the North Korean KCNA news agency on Wednesday, AFP reports."
THU_001 = (
    "A landmark defence pact between North Korea and Russia, signed in June by their leaders, "
    "has officially come into effect following the exchange of ratification documents, North "
    "Korea's KCNA news agency reported Thursday (5 December)."
)
EFFECT_001 = (
    "The treaty took effect Wednesday after North Korea’s Vice Foreign Minister Kim Jong Gyu "
    "and Russia’s Vice Foreign Minister Andrei Rudenko exchanged ratification documents in Moscow."
)


def sentence(text: str, source: str) -> SourceSentence:
    return SourceSentence(text=text, start=0, end=len(text), source=source, chunk_id=source)


def test_report_day_conflict_between_the_samples() -> None:
    supporting = [
        (sentence(WED_000, "000.txt"), 1),
        (sentence(THU_001, "001.txt"), 2),
        (sentence(EFFECT_001, "001.txt"), 3),
    ]
    (conflict,) = detect_conflicts(REPORT_DAY, supporting)
    assert conflict.topic == "day"
    assert conflict.citations == [1, 2]
    assert conflict.claims == [f"{WED_000} [1]", f"{THU_001} [2]"]


def test_same_day_for_another_predicate_is_no_conflict() -> None:
    supporting = [(sentence(WED_000, "000.txt"), 1), (sentence(EFFECT_001, "001.txt"), 2)]
    assert detect_conflicts(REPORT_DAY, supporting) == []
    assert detect_conflicts("When did the treaty take effect?", supporting) == []


def test_one_source_disagreeing_with_itself_is_no_conflict() -> None:
    supporting = [(sentence(WED_000, "001.txt"), 1), (sentence(THU_001, "001.txt"), 2)]
    assert detect_conflicts(REPORT_DAY, supporting) == []


def test_agreeing_sources_and_untyped_questions_give_nothing() -> None:
    agree = [
        (sentence("KCNA reported the news on Wednesday.", "a.txt"), 1),
        (sentence("The KCNA agency reported it Wednesday.", "b.txt"), 2),
    ]
    assert detect_conflicts(REPORT_DAY, agree) == []
    differ = [(sentence(WED_000, "000.txt"), 1), (sentence(THU_001, "001.txt"), 2)]
    assert detect_conflicts("Who reported that the agreement came into force?", differ) == []
    assert detect_conflicts("Where did KCNA report it?", differ) == []


def test_numbers_for_the_counted_thing() -> None:
    question = "How many troops has North Korea sent to Russia?"
    same = [
        (sentence("North Korea has sent over 10,000 troops to assist Russia.", "a.txt"), 1),
        (sentence("Pyongyang sent more than 10,000 troops to help Russia.", "b.txt"), 2),
    ]
    assert detect_conflicts(question, same) == []
    different = [*same[:1], (sentence("North Korea sent 12,000 troops to Russia.", "b.txt"), 2)]
    (conflict,) = detect_conflicts(question, different)
    assert conflict.topic == "number of troops" and conflict.citations == [1, 2]
    other_thing = [*same[:1], (sentence("North Korea sent 5 ships to Russia.", "b.txt"), 2)]
    assert detect_conflicts(question, other_thing) == []


def test_one_shared_word_is_not_the_same_fact() -> None:
    supporting = [
        (sentence("Duncan Bell, 30, joined the squad.", "a.txt"), 1),
        (sentence("Mr Bell became a store manager at 19.", "b.txt"), 2),
    ]
    assert detect_conflicts("How old is Duncan Bell?", supporting) == []
