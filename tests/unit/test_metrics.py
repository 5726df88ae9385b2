"""Every metric on hand-made inputs whose right value is known."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from evals.gold import GoldItem, source_matches
from evals.metrics import (
    ItemResult,
    Latency,
    answer_correct,
    citation_correct,
    citation_precision,
    citation_recall,
    hit_at_k,
    hit_rank,
    mrr,
    normalize,
    percentile,
    summarize,
    summarize_by_tag,
    token_f1,
    verbatim_rate,
)
from rag.types import Citation

pytestmark = pytest.mark.unit

TEXT = (
    "Intro line. Kim Jong Gyu and Andrei Rudenko exchanged documents in Moscow. "
    "Other news follows here."
)
EVIDENCE = "Kim Jong Gyu and Andrei Rudenko exchanged documents"
EV_START = TEXT.index(EVIDENCE)
EV_END = EV_START + len(EVIDENCE)
SOURCES = {"a.txt": TEXT, "b.txt": "Unrelated article text about football."}


def _item(**overrides: object) -> GoldItem:
    data: dict[str, object] = {
        "id": "t1",
        "question": "Who exchanged the documents?",
        "answer": "Kim Jong Gyu and Andrei Rudenko",
        "must_contain": [["Kim Jong Gyu", "Kim Jong-gyu"], ["Rudenko"]],
        "must_not_contain": [],
        "sources": ["a.txt"],
        "evidence": [EVIDENCE],
        "answerable": True,
    }
    return GoldItem.model_validate({**data, **overrides})


UNANSWERABLE = _item(
    must_contain=[], must_not_contain=["Sydney"], sources=[], evidence=[], answerable=False
)


def _cite(quote: str, start: int | None = None, source: str = "a.txt", n: int = 1) -> Citation:
    begin = TEXT.index(quote) if start is None else start
    return Citation(
        n=n, chunk_id="c", source=source, quote=quote, start=begin, end=begin + len(quote)
    )


# --- normalize ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Russia’s “revolutionary” — pact", "russia s revolutionary pact"),
        ('Russia\'s "revolutionary" - pact', "russia s revolutionary pact"),
        ("«Москва»…", "москва"),
        ("ПУТІН та Кім", "путін та кім"),
        ("ＫＣＮＡ ﬁnal", "kcna final"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ("10,000 troops", "10000 troops"),
        ("10\u00a0000 troops", "10000 troops"),
        ("1,234,567", "1234567"),
        ("2,5 and 14:32.93", "2 5 and 14 32 93"),
        ("2,271st star", "2271 st star"),
        ("£9m", "£9 m"),
        ("  a \n\t b_c  ", "a b c"),
        ("", ""),
        ("?!…", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


# --- answer_correct ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Kim Jong Gyu and Andrei Rudenko exchanged them [1].",
        "KIM JONG-GYU and RUDENKO.",
        "Kim Jong‑gyu (North Korea) and Rudenko (Russia)",
        "Rudenko, with Kim Jong Gyu.",
    ],
)
def test_answer_with_every_group_is_correct(text: str) -> None:
    assert answer_correct(text, False, _item())


@pytest.mark.parametrize(
    "text",
    [
        "Kim Jong Gyu exchanged them.",  # a group is missing
        "Kim Jong Gyuk and Rudenkov.",  # aliases only match whole words
        "North Korea and Russia.",
    ],
)
def test_answer_missing_a_group_is_wrong(text: str) -> None:
    assert not answer_correct(text, False, _item())


def test_refused_answerable_item_is_wrong_even_with_the_facts() -> None:
    assert not answer_correct("Kim Jong Gyu and Rudenko", True, _item())


def test_must_not_contain_vetoes_a_right_answer() -> None:
    item = _item(must_not_contain=["Pyongyang"])
    assert not answer_correct("Kim Jong Gyu and Rudenko in Pyongyang", False, item)
    assert answer_correct("Kim Jong Gyu and Rudenko in Pyongyangese", False, item)


def test_short_aliases_respect_word_boundaries() -> None:
    item = _item(must_contain=[["US", "United States"]])
    assert not answer_correct("Russia and Belarus", False, item)
    assert answer_correct("The US and South Korea", False, item)
    assert answer_correct("the United-States", False, item)


def test_numbers_match_however_they_are_grouped() -> None:
    item = _item(must_contain=[["10,000"]])
    assert answer_correct("over 10000 troops", False, item)
    assert answer_correct("over 10\u00a0000 troops", False, item)
    assert not answer_correct("over 100,000 troops", False, item)
    assert answer_correct("the 2,271st star", False, _item(must_contain=[["2271"]]))


def test_cyrillic_aliases() -> None:
    item = _item(must_contain=[["Moscow", "Москві"]])
    assert answer_correct("Обмін відбувся у МОСКВІ.", False, item)
    assert not answer_correct("Обмін відбувся у Москвіні.", False, item)


def test_alias_of_only_punctuation_never_matches() -> None:
    assert not answer_correct("anything !!! at all", False, _item(must_contain=[["!!!"]]))


def test_unanswerable_is_correct_only_when_refused() -> None:
    assert answer_correct("The sources do not say.", True, UNANSWERABLE)
    assert not answer_correct("Canberra.", False, UNANSWERABLE)
    assert not answer_correct("The sources do not say; maybe Sydney.", True, UNANSWERABLE)


# --- token_f1 ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pred", "gold", "expected"),
    [
        ("Kim Jong Gyu and Andrei Rudenko", "Kim Jong Gyu and Andrei Rudenko", 1.0),
        ("Kim Jong Gyu", "Kim Jong Gyu and Andrei Rudenko", 2 / 3),
        ("The MOSCOW!", "moscow", 1.0),
        ("moscow moscow", "moscow", 2 / 3),
        ("Pyongyang", "Moscow", 0.0),
        ("", "", 1.0),
        ("the", "", 1.0),
        ("", "Moscow", 0.0),
        ("Moscow", "", 0.0),
    ],
)
def test_token_f1(pred: str, gold: str, expected: float) -> None:
    assert token_f1(pred, gold) == pytest.approx(expected)


# --- citations ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("a.txt", "a.txt", True),
        ("bbc/business/001.txt", "business/001.txt", True),
        ("business/001.txt", "bbc/business/001.txt", True),
        ("sport/001.txt", "business/001.txt", False),
        ("x001.txt", "001.txt", False),
        ("001.txt", "001.txt.bak", False),
    ],
)
def test_source_matches(a: str, b: str, expected: bool) -> None:
    assert source_matches(a, b) is expected


def test_quote_containing_or_inside_the_evidence_is_correct() -> None:
    sentence = "Kim Jong Gyu and Andrei Rudenko exchanged documents in Moscow."
    assert citation_correct(_cite(sentence), _item(), SOURCES)
    assert citation_correct(_cite("Andrei Rudenko exchanged"), _item(), SOURCES)


def test_containment_is_normalized_and_holds_for_any_source() -> None:
    shouted = Citation(
        n=1, chunk_id="c", source="b.txt", quote=EVIDENCE.upper() + "!", start=0, end=5
    )
    assert citation_correct(shouted, _item(), SOURCES)


def test_overlapping_span_in_a_gold_source_is_correct() -> None:
    # Neither text contains the other; only the character spans intersect.
    quote = "documents in Moscow. Other"
    assert not citation_correct(_cite(quote, source="b.txt"), _item(), SOURCES)
    assert citation_correct(_cite(quote), _item(), SOURCES)
    assert citation_correct(_cite(quote, source="corpus/a.txt"), _item(), SOURCES)
    assert not citation_correct(_cite(quote), _item(), {})


def test_adjacent_span_does_not_overlap() -> None:
    before = TEXT[:EV_START]
    assert not citation_correct(_cite(before, start=0), _item(), SOURCES)
    after = TEXT[EV_END:]
    assert not citation_correct(_cite(after, start=EV_END), _item(), SOURCES)
    assert citation_correct(_cite(TEXT[EV_END - 1 :], start=EV_END - 1), _item(), SOURCES)


def test_citation_of_an_item_without_evidence_is_wrong() -> None:
    assert not citation_correct(_cite("Intro line."), UNANSWERABLE, SOURCES)


def test_citation_precision() -> None:
    right, wrong = _cite(EVIDENCE), _cite("Other news follows here.")
    assert citation_precision([], _item(), SOURCES) is None
    assert citation_precision([right, wrong], _item(), SOURCES) == 0.5
    assert citation_precision([right], _item(), SOURCES) == 1.0


def test_citation_recall() -> None:
    item = _item(sources=["a.txt", "business/001.txt"])
    assert citation_recall([_cite(EVIDENCE)], UNANSWERABLE) is None
    assert citation_recall([], item) == 0.0
    assert citation_recall([_cite(EVIDENCE)], item) == 0.5
    both = [_cite(EVIDENCE), _cite(EVIDENCE, source="bbc/business/001.txt", n=2)]
    assert citation_recall(both, item) == 1.0
    assert citation_recall([_cite(EVIDENCE, source="sport/001.txt")], item) == 0.0


def test_verbatim_rate() -> None:
    exact = _cite(EVIDENCE)
    shifted = _cite(EVIDENCE, start=EV_START + 1)
    assert verbatim_rate([], SOURCES) is None
    assert verbatim_rate([exact], SOURCES) == 1.0
    assert verbatim_rate([exact, shifted], SOURCES) == 0.5
    assert verbatim_rate([_cite(EVIDENCE, source="nowhere.txt")], SOURCES) == 0.0
    assert verbatim_rate([_cite(EVIDENCE, source="data/a.txt")], SOURCES) == 1.0


# --- retrieval ---------------------------------------------------------------------------


def test_hit_rank_is_the_first_gold_chunk_holding_the_evidence() -> None:
    retrieved = [
        ("b.txt", "Unrelated."),
        ("b.txt", TEXT),  # holds the evidence but is not a gold source
        ("a.txt", "Intro line."),
        ("sources/a.txt", "KIM JONG GYU and Andrei Rudenko exchanged documents, in Moscow"),
        ("a.txt", TEXT),
    ]
    assert hit_rank(retrieved, _item()) == 4


def test_chunk_overlapping_the_evidence_is_a_hit() -> None:
    head = EVIDENCE[: int(len(EVIDENCE) * 0.6)]
    assert hit_rank([("a.txt", "Intro line. " + head)], _item()) == 1
    assert hit_rank([("a.txt", "Intro line. " + EVIDENCE[:10])], _item()) is None


def test_short_evidence_must_be_whole_in_the_chunk() -> None:
    item = _item(evidence=["in Moscow"])
    assert hit_rank([("a.txt", "exchanged documents in Mosc")], item) is None
    assert hit_rank([("a.txt", "exchanged documents in Moscow.")], item) == 1


def test_hit_rank_none_cases() -> None:
    assert hit_rank([], _item()) is None
    assert hit_rank([("a.txt", TEXT)], UNANSWERABLE) is None


def test_mrr_and_hit_at_k() -> None:
    assert mrr([1, 2, None, 4]) == pytest.approx(0.4375)
    assert mrr([]) is None
    assert hit_at_k([1, 5, 6, None], 5) == 0.5
    assert hit_at_k([], 5) is None


# --- percentile and summaries -----------------------------------------------------------------


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([4.0, 1.0, 3.0, 2.0], 0) == 1.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 100) == 4.0
    assert percentile([float(v) for v in range(1, 101)], 95) == pytest.approx(95.05)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 101)


def _result(item_id: str, **fields: object) -> ItemResult:
    data: dict[str, object] = {"id": item_id, "f1": 0.0, "latency_ms": {"total": 100.0}}
    return ItemResult.model_validate({**data, **fields})


RESULTS = [
    _result(
        "a", tags=["who"], answerable=True, refused=False, correct=True, f1=1.0,
        citation_precision=1.0, citation_recall=1.0, verbatim_rate=1.0, hit_rank=1,
        latency_ms={"retrieve": 5, "generate": 95, "total": 100},
    ),
    _result(
        "b", tags=["who", "conflict"], answerable=True, refused=True, correct=False,
        citation_precision=0.0, citation_recall=0.0, latency_ms={"total": 300},
    ),
    _result(
        "c", tags=["unanswerable"], answerable=False, refused=True, correct=True,
        latency_ms={"total": 200},
    ),
    _result(
        "d", tags=["unanswerable"], answerable=False, refused=False, correct=False,
        citation_precision=0.0, verbatim_rate=0.5, latency_ms={"total": 400},
    ),
]  # fmt: skip


def test_summarize() -> None:
    assert summarize(RESULTS) == {
        "n": 4,
        "answer_accuracy": 0.5,
        "refusal_accuracy": 0.5,
        "false_refusal_rate": 0.5,
        "wrong_answer_rate": 0.25,  # d answered an unanswerable item; b and c refused
        "citation_precision": 0.5,  # a and d; b was refused
        "citation_recall": 0.5,  # a and b
        "verbatim_quote_rate": 0.75,  # a and d
        "hit_at_5": 0.5,
        "mrr": 0.5,
        "latency_ms_p50": 250.0,
        "latency_ms_p95": pytest.approx(385.0),
    }


def test_summarize_empty_is_all_none() -> None:
    summary = summarize([])
    assert summary["n"] == 0
    assert all(value is None for key, value in summary.items() if key != "n")


def test_metrics_without_applicable_items_are_none() -> None:
    answerable_only = summarize(RESULTS[:2])
    assert answerable_only["refusal_accuracy"] is None
    assert answerable_only["false_refusal_rate"] == 0.5
    unjudged = [r.model_copy(update={"retrieval_judged": False}) for r in RESULTS]
    assert summarize(unjudged)["hit_at_5"] is None and summarize(unjudged)["mrr"] is None
    refusals = summarize(RESULTS[2:3])
    assert refusals["citation_precision"] is None and refusals["hit_at_5"] is None


def test_summarize_by_tag() -> None:
    by_tag = summarize_by_tag(RESULTS)
    assert list(by_tag) == ["conflict", "unanswerable", "who"]
    assert by_tag["who"]["n"] == 2 and by_tag["who"]["false_refusal_rate"] == 0.5
    assert by_tag["unanswerable"]["refusal_accuracy"] == 0.5
    assert by_tag["conflict"]["answer_accuracy"] == 0.0
    assert summarize_by_tag([]) == {}


def test_item_result_rejects_impossible_values() -> None:
    with pytest.raises(ValidationError):
        _result("x", answerable=True, refused=False, correct=True, hit_rank=0)
    with pytest.raises(ValidationError):
        Latency(total=-1.0)
