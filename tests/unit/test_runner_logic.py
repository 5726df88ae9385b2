"""The eval runner's pure parts: judging, the result file, gates, baselines and the report."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from pathlib import Path

import pytest

import rag  # noqa: F401  (offline environment before llama-index loads)
from evals.answerers import as_core, ask_url
from evals.cli import check_gates
from evals.compare import compare, compare_all, pick_baseline
from evals.gates import DEFAULT_GATES, Gate, GateFailedError, gate_failures, parse_gate
from evals.gold import GoldItem
from evals.report import render_report
from evals.results import EvalRun, dump_runs, load_runs, write_runs
from evals.runner import Answerer, Outcome, judge, latency_of, merge_gold, run_eval
from rag.errors import InputError
from rag.types import Answer, Citation

pytestmark = pytest.mark.unit

TEXT = "Intro line. Kim Jong Gyu and Andrei Rudenko exchanged documents in Moscow. Other news."
EVIDENCE = "Kim Jong Gyu and Andrei Rudenko exchanged documents"
TEXTS = {"a.txt": TEXT}


def _item(item_id: str = "t1", **overrides: object) -> GoldItem:
    data: dict[str, object] = {
        "id": item_id,
        "question": "Who exchanged the documents?",
        "answer": "Kim Jong Gyu and Andrei Rudenko",
        "must_contain": [["Kim Jong Gyu"], ["Rudenko"]],
        "must_not_contain": [],
        "sources": ["a.txt"],
        "evidence": [EVIDENCE],
        "answerable": True,
        "tags": ["who"],
    }
    return GoldItem.model_validate({**data, **overrides})


def _unanswerable(item_id: str = "u1") -> GoldItem:
    return _item(
        item_id, must_contain=[], sources=[], evidence=[], answerable=False, tags=["refusal"]
    )


def _cite(quote: str, shift: int = 0, n: int = 1) -> Citation:
    start = TEXT.index(quote) + shift
    return Citation(
        n=n, chunk_id="c", source="a.txt", quote=quote, start=start, end=start + len(quote)
    )


def _answer(text: str, citations: Sequence[Citation] = (), refused: bool = False) -> Answer:
    return Answer(
        answer=text,
        refused=refused,
        citations=list(citations),
        generator="extractive",
        timings_ms={"retrieve": 5.0, "generate": 10.0, "total": 16.0},
    )


GOOD = _answer("Kim Jong Gyu and Andrei Rudenko did [1].", [_cite(EVIDENCE)])
REFUSAL = _answer("The sources do not say.", refused=True)
CHUNKS = [("b.txt", "unrelated text"), ("a.txt", TEXT)]


def _answerer(answers: dict[str, Answer]) -> Answerer:
    def answer(item: GoldItem) -> Outcome:
        return Outcome(answer=answers[item.id], retrieved=CHUNKS)

    return answer


def _run(
    answers: dict[str, Answer], items: Sequence[GoldItem], name: str = "extractive"
) -> EvalRun:
    return run_eval(items, _answerer(answers), TEXTS.get, {"generator": name})


# --- judging -------------------------------------------------------------------------------


def test_judge_scores_a_right_answer_with_a_verbatim_citation() -> None:
    record = judge(_item(), Outcome(GOOD, CHUNKS), TEXTS, wall_ms=20.0)
    assert record.correct and not record.refused
    assert record.citation_precision == 1.0
    assert record.verbatim_rate == 1.0
    assert record.citation_recall == 1.0
    assert record.hit_rank == 2 and record.retrieval_judged
    assert record.gold_answer == "Kim Jong Gyu and Andrei Rudenko"
    assert record.evidence == [EVIDENCE]


def test_judge_catches_a_quote_whose_offsets_are_off() -> None:
    shifted = _answer("Kim Jong Gyu and Andrei Rudenko [1].", [_cite(EVIDENCE, shift=1)])
    record = judge(_item(), Outcome(shifted, CHUNKS), TEXTS, wall_ms=1.0)
    assert record.verbatim_rate == 0.0
    assert record.citation_precision == 1.0  # the quote itself is still the evidence


def test_without_texts_or_hits_those_metrics_are_not_measured() -> None:
    record = judge(_item(), Outcome(GOOD, None), None, wall_ms=1.0)
    assert record.citation_precision is None and record.verbatim_rate is None
    assert record.citation_recall == 1.0  # needs no text
    assert record.hit_rank is None and not record.retrieval_judged


def test_latency_prefers_the_answerers_timings_over_wall_time() -> None:
    assert latency_of(GOOD, wall_ms=99.0).total == 16.0
    bare = Answer(answer="x", generator="extractive")
    latency = latency_of(bare, wall_ms=42.0)
    assert (latency.retrieve, latency.generate, latency.total) == (0.0, 0.0, 42.0)


def test_run_eval_reports_every_item_and_summarizes() -> None:
    items = [_item("t1"), _item("t2"), _unanswerable("u1")]
    wrong = _answer("Someone else [1].", [_cite("Other news.")])
    seen: list[str] = []
    run = run_eval(
        items,
        _answerer({"t1": GOOD, "t2": wrong, "u1": REFUSAL}),
        TEXTS.get,
        {"generator": "extractive"},
        on_item=lambda record: seen.append(record.id),
    )
    assert seen == ["t1", "t2", "u1"]
    assert run.summary["n"] == 3
    assert run.summary["answer_accuracy"] == pytest.approx(2 / 3)
    assert run.summary["refusal_accuracy"] == 1.0
    assert run.summary["citation_precision"] == pytest.approx(0.5)
    assert run.by_tag["who"]["answer_accuracy"] == pytest.approx(0.5)
    assert run.generator == "extractive"


def test_an_unknown_cited_source_fails_verbatim() -> None:
    elsewhere = GOOD.model_copy(
        update={"citations": [GOOD.citations[0].model_copy(update={"source": "gone.txt"})]}
    )
    run = _run({"t1": elsewhere}, [_item()])
    assert run.items[0].verbatim_rate == 0.0


def test_merge_gold_rejects_an_id_in_two_files() -> None:
    assert [i.id for i in merge_gold([[_item("a")], [_item("b")]])] == ["a", "b"]
    with pytest.raises(InputError, match="'a'"):
        merge_gold([[_item("a")], [_item("a")]])


# --- result file ---------------------------------------------------------------------------


def test_a_single_run_is_written_bare_and_several_under_runs(tmp_path: Path) -> None:
    one = _run({"t1": GOOD}, [_item()])
    assert set(json.loads(dump_runs({"extractive": one}))) == {
        "summary",
        "by_tag",
        "items",
        "config",
    }
    two = {"extractive": one, "local": _run({"t1": REFUSAL}, [_item()], name="local")}
    path = tmp_path / "out" / "eval.json"
    write_runs(path, two)
    assert set(json.loads(path.read_text())["runs"]) == {"extractive", "local"}
    loaded = load_runs(path)
    assert loaded["local"].items[0].refused
    assert loaded["extractive"].items[0].citations == GOOD.citations


def test_a_bare_file_loads_under_its_generator(tmp_path: Path) -> None:
    path = tmp_path / "eval.json"
    write_runs(path, {"local": _run({"t1": GOOD}, [_item()], name="local")})
    assert list(load_runs(path)) == ["local"]


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"runs": {}}', '{"summary": 1}'])
def test_an_unusable_result_file_is_an_input_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=r"bad\.json"):
        load_runs(path)


# --- gates ---------------------------------------------------------------------------------


def test_default_gates_are_the_ci_numbers() -> None:
    assert {str(g) for g in DEFAULT_GATES} == {
        "answer_accuracy=0.85",
        "refusal_accuracy=1",
        "citation_precision=0.95",
        "verbatim_quote_rate=1",
    }


def test_parse_gate() -> None:
    assert parse_gate("answer_accuracy=1.01") == Gate("answer_accuracy", 1.01)
    for bad in ("answer_accuracy", "latency_ms_p95=100", "nonsense=1", "mrr=high"):
        with pytest.raises(InputError, match="--fail-under"):
            parse_gate(bad)


def test_gate_failures_name_every_missed_gate() -> None:
    summary = {"answer_accuracy": 0.8, "refusal_accuracy": 1.0, "verbatim_quote_rate": None}
    gates = [Gate("answer_accuracy", 0.85), Gate("refusal_accuracy", 1.0)]
    assert gate_failures(summary, gates, require_measured=True) == ["answer_accuracy 0.800 < 0.85"]
    unmeasured = [Gate("verbatim_quote_rate", 1.0)]
    assert gate_failures(summary, unmeasured, require_measured=False) == []
    assert "not measured" in gate_failures(summary, unmeasured, require_measured=True)[0]


def test_gates_judge_our_generators_not_the_llamaindex_peer() -> None:
    items = [_item("t1")]
    runs = {"llamaindex-default": _run({"t1": REFUSAL}, items, "llamaindex-default")}
    check_gates(runs, DEFAULT_GATES, require_measured=False)
    runs["extractive"] = _run({"t1": REFUSAL}, items)
    with pytest.raises(GateFailedError, match="extractive: answer_accuracy"):
        check_gates(runs, DEFAULT_GATES, require_measured=False)


def test_local_answering_fewer_questions_than_extractive_fails_the_run() -> None:
    items = [_item("t1")]
    runs = {"extractive": _run({"t1": GOOD}, items), "local": _run({"t1": REFUSAL}, items, "local")}
    with pytest.raises(
        GateFailedError, match=r"local answer_accuracy 0\.000 < extractive's 1\.000"
    ):
        check_gates(runs, [], require_measured=False)
    runs["local"] = _run({"t1": GOOD}, items, "local")
    check_gates(runs, [], require_measured=False)  # equal is fine; so is local alone
    check_gates({"local": runs["local"]}, [], require_measured=False)


# --- baselines -----------------------------------------------------------------------------


def test_compare_gives_deltas_and_flipped_items() -> None:
    items = [_item("t1"), _item("t2"), _item("t3")]
    before = _run({"t1": GOOD, "t2": REFUSAL, "t3": GOOD}, items)
    after = _run({"t1": REFUSAL, "t2": GOOD, "t3": GOOD}, items)
    result = compare(after, before)
    assert result.broke == ["t1"] and result.fixed == ["t2"]
    assert result.deltas["answer_accuracy"].delta == pytest.approx(0.0)
    assert result.deltas["hit_at_5"].baseline == 1.0


def test_items_new_to_the_gold_set_are_not_flips() -> None:
    before = _run({"t1": GOOD}, [_item("t1")])
    after = _run({"t1": GOOD, "t2": REFUSAL}, [_item("t1"), _item("t2")])
    assert compare(after, before).broke == []


def test_pick_baseline_prefers_the_same_generator() -> None:
    local, extractive = _run({"t1": GOOD}, [_item()], "local"), _run({"t1": GOOD}, [_item()])
    both = {"local": local, "extractive": extractive}
    assert pick_baseline("local", both) is local
    assert pick_baseline("openai", both) is None
    assert pick_baseline("openai", {"local": local}) is local
    assert set(compare_all(both, {"extractive": extractive})) == {"local", "extractive"}


# --- report --------------------------------------------------------------------------------


def _pngs(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_report_is_self_contained_and_escapes_text() -> None:
    hostile = _answer("<script>alert(1)</script> Rudenko", [_cite(EVIDENCE)])
    items = [_item("t1"), _unanswerable("u1")]
    runs = {
        "extractive": _run({"t1": GOOD, "u1": REFUSAL}, items),
        "local": _run({"t1": hostile, "u1": GOOD}, items, name="local"),
    }
    html = render_report(runs, compare_all(runs, {"extractive": runs["extractive"]}))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"(src|href)=\"https?:", html)
    pngs = _pngs(html)
    assert len(pngs) == 2 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    assert '<table id="summary">' in html and "<th>local</th>" in html
    assert "local: 2 of 2 wrong" in html and "extractive: 0 of 2 wrong" in html
    assert "right → wrong: t1, u1" in html
    assert EVIDENCE in html  # the gold evidence of a failed item is shown


# --- answerer helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "url"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/v1/ask"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/v1/ask"),
        ("https://rag.example/v1", "https://rag.example/v1/ask"),
    ],
)
def test_ask_url(base: str, url: str) -> None:
    assert ask_url(base) == url


def test_ask_url_and_generator_names_are_checked() -> None:
    with pytest.raises(InputError):
        ask_url("127.0.0.1:8000")
    assert as_core("extractive") == "extractive"
    with pytest.raises(InputError, match="llamaindex-default"):
        as_core("llamaindex-default")


# --- the llama-index baseline's mapping ---------------------------------------------------


def test_llamaindex_response_becomes_an_answer_with_node_citations() -> None:
    from llama_index.core.base.response.schema import Response
    from llama_index.core.schema import NodeWithScore, TextNode

    from evals.baseline_llamaindex import NAME, to_answer

    start = TEXT.index(EVIDENCE)
    node = TextNode(
        id_="n1",
        text=EVIDENCE,
        start_char_idx=start,
        end_char_idx=start + len(EVIDENCE),
        metadata={"source": "a.txt"},
    )
    answer = to_answer(Response(" Rudenko ", [NodeWithScore(node=node, score=0.9)]), 12.0)
    assert (answer.answer, answer.refused, answer.generator) == ("Rudenko", False, NAME)
    (citation,) = answer.citations
    assert (citation.n, citation.source, citation.quote) == (1, "a.txt", EVIDENCE)
    assert TEXT[citation.start : citation.end] == citation.quote
    assert answer.timings_ms == {"total": 12.0}
    assert to_answer(Response("Empty Response", []), 1.0).refused
    assert to_answer(Response(None, []), 1.0).refused


def test_cli_choices_are_the_answerers_generators() -> None:
    from evals.answerers import GENERATORS
    from evals.cli import Generator

    assert tuple(g.value for g in Generator) == GENERATORS
