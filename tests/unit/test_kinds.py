"""The answer-kind registry: one entry a kind, read by question analysis, the answer
check of ``Needs`` and conflict detection, so a kind is added as one entry."""

from __future__ import annotations

import re
from typing import cast, get_args

import pytest

from rag.grounding.conflicts import detect_conflicts
from rag.grounding.needs import Needs
from rag.language import kinds
from rag.language.kinds import KINDS, AnswerKind, Check, QuestionKind, by_name
from rag.language.question import analyse, question_kind
from rag.language.sentences import SourceSentence

pytestmark = pytest.mark.unit

PERCENTAGE = AnswerKind(
    cast(QuestionKind, "percentage"),
    re.compile(r"\bwhat (?:percentage|share)\b", re.IGNORECASE),
    frozenset({"percent"}),
    "value",
)
WEEKDAY = AnswerKind(
    cast(QuestionKind, "weekday"),
    re.compile(r"\bwhich weekday\b", re.IGNORECASE),
    frozenset({"weekday"}),
    "value",
    (("weekday", "weekday"),),
)


def with_kind(new: AnswerKind, before: QuestionKind) -> dict[QuestionKind, AnswerKind]:
    """The registry with ``new`` placed just before ``before`` (so it wins over it)."""
    entries = list(KINDS.values())
    at = [k.name for k in entries].index(before)
    return dict(by_name([*entries[:at], new, *entries[at:]]))


def test_every_question_kind_has_exactly_one_entry() -> None:
    assert sorted(KINDS) == sorted(get_args(QuestionKind))
    assert all(name == entry.name for name, entry in KINDS.items())
    assert all(entry.check in get_args(Check) for entry in KINDS.values())


def test_a_kind_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="'when' has two entries"):
        by_name([KINDS["when"], KINDS["when"]])


def test_a_new_kind_is_asked_for_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "What percentage of voters backed the plan?"
    assert question_kind(question) == "amount"
    monkeypatch.setattr(kinds, "KINDS", with_kind(PERCENTAGE, before="amount"))
    assert question_kind(question) == "percentage"
    (part,) = analyse(question)
    needs = Needs.of(part)
    assert needs.states_answer("Some 52% of voters backed the plan.")
    assert not needs.states_answer("Voters backed the £5m plan.")


def test_a_new_kind_states_its_own_conflict_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "On which weekday did KCNA report that the agreement came into force?"
    wednesday = "KCNA reported on Wednesday that the agreement came into force."
    thursday = "KCNA reported on Thursday that the agreement came into force."
    supporting = [
        (SourceSentence(wednesday, 0, len(wednesday), "a.txt", "a"), 1),
        (SourceSentence(thursday, 0, len(thursday), "b.txt", "b"), 2),
    ]
    assert [c.topic for c in detect_conflicts(question, supporting)] == ["day"]
    monkeypatch.setattr(kinds, "KINDS", with_kind(WEEKDAY, before="day"))
    assert [c.topic for c in detect_conflicts(question, supporting)] == ["weekday"]
