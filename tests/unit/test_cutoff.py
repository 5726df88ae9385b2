"""OpenAI's max_tokens and stop applied to delivered answer text (ui.cutoff)."""

from __future__ import annotations

import pytest

from rag.adapters.tokens import encode, token_encoding
from ui.cutoff import Cutoff

pytestmark = pytest.mark.unit

ANSWER = "Kim Jong Gyu and Andrei Rudenko exchanged the documents [1]."


def test_without_limits_everything_goes_out_and_the_reason_is_stop() -> None:
    cutoff = Cutoff(None, None)
    assert cutoff.apply(ANSWER) == ANSWER
    assert (cutoff.finish_reason, cutoff.cut) == ("stop", False)


def test_max_tokens_keeps_that_many_tokens_and_says_length() -> None:
    cutoff = Cutoff(4, None)
    text = cutoff.apply(ANSWER)
    assert text == token_encoding().decode(encode(ANSWER)[:4]) and len(encode(text)) == 4
    assert (cutoff.finish_reason, cutoff.cut) == ("length", True)


def test_an_answer_exactly_max_tokens_long_is_not_cut() -> None:
    cutoff = Cutoff(len(encode(ANSWER)), None)
    assert cutoff.apply(ANSWER) == ANSWER and cutoff.finish_reason == "stop"


def test_a_token_ending_inside_a_character_drops_the_half_character() -> None:
    text = Cutoff(1, None).apply("Кім Чен Ин")
    assert "Кім Чен Ин".startswith(text) and "\ufffd" not in text


def test_the_text_ends_before_the_first_stop_sequence() -> None:
    cutoff = Cutoff(None, ["exchanged", " and "])
    assert cutoff.apply(ANSWER) == "Kim Jong Gyu"
    assert (cutoff.finish_reason, cutoff.cut) == ("stop", True)


def test_a_stop_sequence_split_across_pieces_is_held_back_then_dropped() -> None:
    cutoff = Cutoff(None, ["Rudenko"])
    assert cutoff.feed("Kim Jong Gyu and Andrei Rud") == "Kim Jong Gyu and Andrei "
    assert cutoff.feed("enko exchanged") == ""
    assert cutoff.feed(" more text") == "" and cutoff.finish() == ""
    assert cutoff.cut


def test_a_held_back_tail_that_is_no_stop_sequence_goes_out_with_the_next_piece() -> None:
    cutoff = Cutoff(None, ["Rudenko"])
    pieces = [cutoff.feed("Kim Jong Gyu and Ru"), cutoff.feed("ssia's envoy"), cutoff.finish()]
    assert pieces == ["Kim Jong Gyu and ", "Russia's envoy", ""]
    assert "".join(pieces) == "Kim Jong Gyu and Russia's envoy" and not cutoff.cut


def test_streamed_pieces_are_cut_at_the_same_place_as_the_whole_text() -> None:
    whole = Cutoff(6, None).apply(ANSWER)
    cutoff = Cutoff(6, None)
    streamed = (
        "".join(
            cutoff.feed(piece)
            for piece in ANSWER.split(" ")[:1] + [" " + word for word in ANSWER.split(" ")[1:]]
        )
        + cutoff.finish()
    )
    assert streamed == whole and cutoff.finish_reason == "length"
