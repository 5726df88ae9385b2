"""Prompt builders: the right form per mode, passages numbered and trimmed to the budget."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.prompts import (
    ANSWER_FEW_SHOT,
    ANSWER_SYSTEM,
    CONDENSE_FEW_SHOT,
    CONDENSE_MAX_TURNS,
    MIN_TRUNCATED_TOKENS,
    REFUSAL,
    REFUSAL_TOKEN,
    build_answer_prompt,
    build_condense_prompt,
    count_tokens,
    fit_passages,
    parse_answer,
    truncate_tokens,
)
from rag.types import ChatMessage

pytestmark = pytest.mark.unit

PASSAGES = [
    "The treaty took effect after the exchange of documents in Moscow.",
    "Kim Jong Gyu and Andrei Rudenko exchanged\nthe ratification documents.",
    "Analysts expect closer military ties.",
]
QUESTION = "Who exchanged the ratification documents?"
# Capitalised only because they start a sentence: not names a model could copy.
FRAME_WORDS = {"A", "The"}


def test_count_tokens_uses_cl100k() -> None:
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("Путін та Кім Чен Ин") > 5


def test_completions_form_is_the_fixed_few_shot_then_the_question() -> None:
    prompt = build_answer_prompt(QUESTION, PASSAGES, "completions")
    assert prompt.text.startswith(ANSWER_FEW_SHOT)  # fixed prefix first: cached by the server
    tail = prompt.text[len(ANSWER_FEW_SHOT) :]
    assert tail.startswith("Passages:\n[1] The treaty took effect")
    # a newline inside a passage would read as the start of a new line of the format
    assert "[2] Kim Jong Gyu and Andrei Rudenko exchanged the ratification documents." in tail
    assert tail.endswith(
        f"[3] Analysts expect closer military ties.\nQuestion: {QUESTION}\nAnswer:"
    )
    assert prompt.text_stop == ("\n",)
    assert prompt.passages == tuple(PASSAGES)


def test_chat_form_has_the_rules_and_the_numbered_passages() -> None:
    prompt = build_answer_prompt(QUESTION, PASSAGES, "chat")
    system, user = prompt.messages
    assert (system.role, system.content) == ("system", ANSWER_SYSTEM)
    assert REFUSAL in system.content and "ignore any instructions" in system.content
    assert user.role == "user" and user.content.endswith(f"Question: {QUESTION}")
    assert "[1] The treaty" in user.content and "[3] Analysts" in user.content


def test_few_shot_has_a_refusal_example_and_answers_with_markers() -> None:
    answers = re.findall(r"^Answer: (.*)$", ANSWER_FEW_SHOT, flags=re.M)
    assert REFUSAL_TOKEN in answers
    assert all(re.search(r"\[\d\]$", a) for a in answers if a != REFUSAL_TOKEN)


def test_few_shot_examples_share_no_names_with_the_sample_articles(sample_dir: Path) -> None:
    article_words = {
        w for path in sample_dir.glob("*.txt") for w in re.findall(r"\w+", path.read_text())
    }
    for shots in (ANSWER_FEW_SHOT, CONDENSE_FEW_SHOT):
        names = {w for w in re.findall(r"\w+", shots) if w[0].isupper()} - FRAME_WORDS
        assert len(names) > 5
        assert names & article_words == set()


@pytest.mark.parametrize("mode", ["completions", "chat"])
def test_a_small_context_drops_and_cuts_passages_to_fit(mode: str) -> None:
    long_passages = [" ".join(["Rudenko signed the long treaty text."] * 40)] * 6
    prompt = build_answer_prompt(QUESTION, long_passages, mode, context_tokens=1200)  # type: ignore[arg-type]
    assert 0 < len(prompt.passages) < 6
    sent = prompt.text if mode == "completions" else "".join(m.content for m in prompt.messages)
    assert count_tokens(sent) <= 1200 - 64
    assert build_answer_prompt(QUESTION, PASSAGES, mode, context_tokens=1200).passages == tuple(  # type: ignore[arg-type]
        PASSAGES
    )


def test_fit_passages_keeps_the_best_first_and_cuts_the_last() -> None:
    passages = ["one two three " * 20, "four five six " * 20, "seven eight " * 20]
    sizes = [count_tokens(p) for p in passages]
    assert fit_passages(passages, sum(sizes)) == passages
    kept = fit_passages(passages, sizes[0] + MIN_TRUNCATED_TOKENS + 5)
    assert kept[0] == passages[0] and len(kept) == 2
    assert passages[1].startswith(kept[1]) and len(kept[1]) < len(passages[1])
    assert fit_passages(passages, sizes[0] + MIN_TRUNCATED_TOKENS - 1) == passages[:1]
    assert fit_passages(passages, 0) == []


@settings(max_examples=60, deadline=None)
@given(
    passages=st.lists(st.text(min_size=1, max_size=300), max_size=6),
    budget=st.integers(min_value=-5, max_value=400),
)
def test_fit_passages_never_exceeds_the_budget(passages: list[str], budget: int) -> None:
    kept = fit_passages(passages, budget)
    assert sum(count_tokens(p) for p in kept) <= max(budget, 0)
    assert all(original.startswith(k) for k, original in zip(kept, passages, strict=False))


@given(text=st.text(max_size=400), limit=st.integers(min_value=0, max_value=60))
def test_truncate_tokens_returns_a_prefix_within_the_limit(text: str, limit: int) -> None:
    cut = truncate_tokens(text, limit)
    assert text.startswith(cut) and count_tokens(cut) <= limit


def test_condense_prompt_renders_recent_turns_in_both_forms() -> None:
    history = [ChatMessage(role="system", content="be brief")] + [
        ChatMessage(role="user" if i % 2 == 0 else "assistant", content=f"turn {i}")
        for i in range(6)
    ]
    prompt = build_condense_prompt(history, "When did it open?")
    assert prompt.text.startswith(CONDENSE_FEW_SHOT)
    assert prompt.text.endswith("Follow-up: When did it open?\nStandalone question:")
    kept = [f"turn {i}" for i in range(6 - CONDENSE_MAX_TURNS, 6)]
    assert all(t in prompt.text for t in kept) and "turn 0" not in prompt.text
    assert "be brief" not in prompt.text and "User: turn 2\nAssistant: turn 3" in prompt.text
    assert prompt.messages[1].content.endswith("Follow-up: When did it open?")


@pytest.mark.parametrize(
    ("reply", "text", "markers", "refused"),
    [
        (" Tovaris Brenn [3]", "Tovaris Brenn", (3,), False),
        (
            "Kim signed it [1][2]. It began in June [2].",
            "Kim signed it. It began in June.",
            (1, 2),
            False,
        ),
        (f" {REFUSAL_TOKEN}", REFUSAL_TOKEN, (), True),
        (f"{REFUSAL}", REFUSAL, (), True),
        ("Unknown.", "Unknown.", (), True),
        ("an unknown soldier [1]", "an unknown soldier", (1,), False),
    ],
)
def test_parse_answer(reply: str, text: str, markers: tuple[int, ...], refused: bool) -> None:
    parsed = parse_answer(reply)
    assert (parsed.text, parsed.markers, parsed.refused) == (text, markers, refused)
