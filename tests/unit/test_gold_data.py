"""The gold files are well-formed, their evidence is verbatim, and load_gold fails loudly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.gold import GoldItem, load_gold
from evals.metrics import answer_correct, normalize
from rag.errors import InputError
from rag.generation.prompts import REFUSAL

pytestmark = pytest.mark.unit

DATA = Path(__file__).resolve().parents[2] / "evals" / "data"
GOLD, MULTITURN, BBC_DEV, BBC_TEST = (
    DATA / "gold.jsonl",
    DATA / "multiturn.jsonl",
    DATA / "bbc_dev.jsonl",
    DATA / "bbc_test.jsonl",
)
BBC_FILES = [BBC_DEV, BBC_TEST]
ALL_FILES = [GOLD, MULTITURN, *BBC_FILES]
BBC_TOPICS = {"business", "entertainment", "politics", "sport", "tech"}
BBC_KINDS = {"who", "what", "where", "when", "number", "why", "how"}
DESIGN_EXAMPLE = {
    "id": "g01",
    "question": "Who exchanged the ratification documents?",
    "answer": "Kim Jong Gyu and Andrei Rudenko",
    "must_contain": [["Kim Jong Gyu", "Kim Jong-gyu"], ["Rudenko"]],
    "must_not_contain": [],
    "sources": ["001_a4b0b9614c74e4e8.txt"],
    "evidence": ["Kim Jong Gyu and Russia’s Vice Foreign Minister Andrei Rudenko exchanged"],
    "answerable": True,
    "tags": ["who"],
}
REQUIRED_TAGS = {
    "who",
    "what",
    "where",
    "when",
    "number",
    "paraphrase",
    "multi-source",
    "cross-lingual",
    "conflict",
    "follow-up",
    "unanswerable",
    "injection",
}


def _read_sources(folder: Path, items: list[GoldItem]) -> dict[str, str]:
    names = {source for item in items for source in item.sources}
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}


def _assert_evidence_verbatim(items: list[GoldItem], texts: dict[str, str]) -> None:
    for item in items:
        for evidence in item.evidence:
            assert any(evidence in texts[s] for s in item.sources), (item.id, evidence)
        for source in item.sources:
            assert any(e in texts[source] for e in item.evidence), (item.id, source)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_gold_file_is_consistent(path: Path) -> None:
    items = load_gold(path)
    for item in items:
        if item.answerable:
            assert item.must_contain and item.evidence and item.sources, item.id
            # The evidence itself must satisfy every group, or the item is unanswerable as written.
            evidence = " ".join(item.evidence)
            assert answer_correct(evidence, False, item), item.id
        else:
            assert not (item.must_contain or item.evidence or item.sources), item.id
        assert answer_correct(item.answer, not item.answerable, item), item.id


def test_ids_are_unique_across_files() -> None:
    ids = [item.id for path in ALL_FILES for item in load_gold(path)]
    assert len(ids) == len(set(ids))


def test_sample_evidence_is_verbatim(sample_dir: Path) -> None:
    items = load_gold(GOLD) + load_gold(MULTITURN)
    _assert_evidence_verbatim(items, _read_sources(sample_dir, items))


@pytest.mark.parametrize("path", BBC_FILES, ids=lambda p: p.name)
def test_bbc_evidence_is_verbatim(bbc_dir: Path, path: Path) -> None:
    items = load_gold(path)
    _assert_evidence_verbatim(items, _read_sources(bbc_dir, items))


@pytest.mark.parametrize("path", BBC_FILES, ids=lambda p: p.name)
def test_bbc_multi_source_items_need_each_article(bbc_dir: Path, path: Path) -> None:
    """Each source of a multi-source item is a different text whose own evidence
    satisfies at least one must_contain group but not all of them: no single article
    answers the question."""
    items = [item for item in load_gold(path) if "multi-source" in item.tags]
    texts = _read_sources(bbc_dir, items)
    for item in items:
        assert len({texts[s] for s in item.sources}) >= 2, item.id
        for source in item.sources:
            own = [e for e in item.evidence if e in texts[source]]
            assert not answer_correct(" ".join(own), False, item), (item.id, source)
            assert any(
                answer_correct(e, False, item.model_copy(update={"must_contain": [group]}))
                for e in own
                for group in item.must_contain
            ), (item.id, source)


def test_first_item_is_the_design_example() -> None:
    first_line = GOLD.read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(first_line) == DESIGN_EXAMPLE


def test_sample_gold_covers_the_required_cases() -> None:
    items = load_gold(GOLD)
    assert len(items) >= 45
    assert sum(not item.answerable for item in items) >= 12
    assert {tag for item in items for tag in item.tags} >= REQUIRED_TAGS
    assert all("unanswerable" in item.tags for item in items if not item.answerable)


def test_conflict_item_needs_both_report_days() -> None:
    conflicts = [item for item in load_gold(GOLD) if "conflict" in item.tags]
    groups = {normalize(alias) for item in conflicts for g in item.must_contain for alias in g}
    assert {"wednesday", "thursday"} <= groups


def test_cross_lingual_questions_in_ukrainian_and_russian_about_the_caption() -> None:
    cross = [item for item in load_gold(GOLD) if "cross-lingual" in item.tags]
    assert any(re.search("[іїєґ]", item.question.lower()) for item in cross)
    assert any(re.search("[ыэёъ]", item.question.lower()) for item in cross)
    assert any("Путін та Кім Чен Ин" in e for item in cross for e in item.evidence)


def test_multiturn_items_carry_their_history() -> None:
    items = load_gold(MULTITURN)
    assert 6 <= len(items) <= 10
    for item in items:
        assert item.history and item.history[-1].role == "assistant", item.id
        assert "follow-up" in item.tags


def _tag_count(items: list[GoldItem], tag: str) -> int:
    return sum(tag in item.tags for item in items)


@pytest.mark.parametrize("path", BBC_FILES, ids=lambda p: p.name)
def test_bbc_items_are_tagged_consistently(path: Path) -> None:
    for item in load_gold(path):
        assert "bbc" in item.tags and item.tags.count("bbc") == 1, item.id
        assert ("unanswerable" in item.tags) == (not item.answerable), item.id
        assert set(item.tags) & BBC_KINDS, item.id
        topics = set(item.tags) & BBC_TOPICS
        assert topics, item.id
        assert {source.split("/")[0] for source in item.sources} <= topics, item.id
        assert all(re.fullmatch(r"[a-z]+/\d{3}\.txt", s) for s in item.sources), item.id
        if not item.answerable:
            assert item.answer == "", item.id
        if "multi-source" in item.tags:
            assert len(item.sources) >= 2, item.id


@pytest.mark.parametrize(
    ("path", "prefix"), [(BBC_DEV, r"(b\d{2}|d\d{3})"), (BBC_TEST, r"t\d{3}")], ids=["dev", "test"]
)
def test_bbc_split_ids(path: Path, prefix: str) -> None:
    assert all(re.fullmatch(prefix, item.id) for item in load_gold(path))


@pytest.mark.parametrize("path", BBC_FILES, ids=lambda p: p.name)
def test_each_bbc_split_covers_the_required_cases(path: Path) -> None:
    """Both splits carry every kind of case in roughly the same proportions."""
    items = load_gold(path)
    unanswerable = [item for item in items if not item.answerable]
    assert len(items) >= 100
    assert len(unanswerable) >= 0.3 * len(items)
    assert 2 * _tag_count(unanswerable, "near-miss") > len(unanswerable)
    assert _tag_count(items, "multi-source") >= 7
    assert _tag_count(items, "paraphrase") >= 10
    assert _tag_count(items, "cross-lingual") >= 5
    assert _tag_count(items, "injection") >= 2
    for topic in BBC_TOPICS:
        assert _tag_count(items, topic) >= 15, topic
        assert any(topic in item.tags for item in unanswerable), topic
    for kind in BBC_KINDS:
        assert _tag_count([item for item in items if item.answerable], kind) >= 2, kind


def test_bbc_splits_together_meet_the_targets() -> None:
    items = [item for path in BBC_FILES for item in load_gold(path)]
    unanswerable = [item for item in items if not item.answerable]
    assert len(items) >= 200
    assert len(unanswerable) >= 0.3 * len(items)
    assert 2 * _tag_count(unanswerable, "near-miss") > len(unanswerable)
    assert _tag_count(items, "multi-source") >= 15
    assert _tag_count(items, "paraphrase") >= 20
    assert _tag_count(items, "cross-lingual") >= 10
    assert all(_tag_count(items, topic) >= 25 for topic in BBC_TOPICS)


def test_bbc_test_questions_are_new() -> None:
    """The report-only split shares no question with the tuned-on split."""
    dev = {normalize(item.question) for item in load_gold(BBC_DEV)}
    assert not any(normalize(item.question) in dev for item in load_gold(BBC_TEST))


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line(**overrides: object) -> str:
    return json.dumps({**DESIGN_EXAMPLE, **overrides}, ensure_ascii=False)


def test_blank_lines_are_skipped_and_unknown_fields_ignored(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), "", "   ", _line(id="g02", difficulty="hard"))
    items = load_gold(path)
    assert [item.id for item in items] == ["g01", "g02"]
    assert "difficulty" not in items[1].model_dump()


def test_optional_fields_default(tmp_path: Path) -> None:
    data = {k: v for k, v in DESIGN_EXAMPLE.items() if k != "tags"}
    item = load_gold(_write(tmp_path, json.dumps(data)))[0]
    assert item.tags == [] and item.notes is None and item.history == []


def test_an_unanswerable_item_may_omit_its_answer_and_must_not_contain(tmp_path: Path) -> None:
    unanswerable = {
        **{k: v for k, v in DESIGN_EXAMPLE.items() if k != "must_not_contain"},
        **{"answer": None, "answerable": False, "must_contain": [], "sources": [], "evidence": []},
    }
    item = load_gold(_write(tmp_path, json.dumps(unanswerable)))[0]
    assert item.answer == REFUSAL and item.must_not_contain == []
    assert answer_correct(REFUSAL, True, item) and not answer_correct("Sydney", False, item)


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), "", '{"id": "g02", "question": ')
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}:3: invalid JSON"):
        load_gold(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[1, 2]", r":2: expected a JSON object"),
        (_line(id="g02", answerable=False), r":2: invalid gold item: .*unanswerable"),
        (_line(id="g02", must_contain=[[]]), r":2: invalid gold item: must_contain"),
        (_line(id="g02", evidence=["  "]), r":2: invalid gold item: evidence"),
        (_line(id="g02", history=[{"role": "system", "content": "x"}]), r":2: .*history"),
        (json.dumps({"id": "g02", "question": "Q?"}), r":2: invalid gold item: answer: Field"),
        (_line(id="g02", answer=None), r":2: invalid gold item: answer: Input should be a valid"),
        (_line(id="g02", must_not_contain=None), r":2: invalid gold item: must_not_contain"),
        (_line(id="g02", must_not_contain=[""]), r":2: invalid gold item: must_not_contain"),
    ],
)
def test_invalid_items_name_their_line(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_gold(_write(tmp_path, _line(), line))


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, _line(), _line(id="g02"), _line())
    with pytest.raises(InputError, match=r":3: duplicate id 'g01' \(first on line 1\)"):
        load_gold(path)


def test_history_turns_are_parsed(tmp_path: Path) -> None:
    turns = [{"role": "user", "content": "Who?"}, {"role": "assistant", "content": "Kim."}]
    item = load_gold(_write(tmp_path, _line(history=turns, question="Where?")))[0]
    assert [(t.role, t.content) for t in item.history] == [("user", "Who?"), ("assistant", "Kim.")]


def test_missing_and_empty_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read gold data"):
        load_gold(tmp_path / "absent.jsonl")
    with pytest.raises(InputError, match="no gold items"):
        load_gold(_write(tmp_path, "", ""))
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b'{"id": "caf\xe9"}\n')
    with pytest.raises(InputError, match="cannot read gold data"):
        load_gold(bad)
