"""The gold-data format (evals/data/README.md): one question a line, loaded and checked up front.

A broken gold file must fail before an eval spends minutes answering questions, with a
message that names the file and line, so every line is validated while loading.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rag.errors import InputError
from rag.generation.prompts import REFUSAL
from rag.types import ChatMessage


class GoldItem(BaseModel):
    """One gold question with what a correct answer must and must not say."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    answer: str = Field(description="A reference answer, for token F1 and for readers.")
    must_contain: list[list[str]] = Field(
        description="Every group must match the answer; any alias of a group will do."
    )
    must_not_contain: list[str] = Field(
        default_factory=list, description="Strings no correct answer contains."
    )
    sources: list[str] = Field(description="Source paths as in Chunk.source.")
    evidence: list[str] = Field(description="Verbatim passages of the sources.")
    answerable: bool
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    history: list[ChatMessage] = Field(
        default_factory=list, description="Earlier turns, for follow-up questions."
    )

    @model_validator(mode="before")
    @classmethod
    def _refusal_needs_no_answer(cls, data: Any) -> Any:
        # An unanswerable item's only right answer is the refusal, so authors may write
        # null; token F1 then scores answers against the refusal the product gives.
        unanswerable = isinstance(data, dict) and data.get("answerable") is False
        if unanswerable and "answer" in data and data["answer"] is None:
            return {**data, "answer": REFUSAL}
        return data

    @field_validator("must_contain")
    @classmethod
    def _groups_have_aliases(cls, groups: list[list[str]]) -> list[list[str]]:
        if any(not group or any(not alias.strip() for alias in group) for group in groups):
            raise ValueError("every must_contain group needs at least one non-blank alias")
        return groups

    @field_validator("must_not_contain", "sources", "evidence")
    @classmethod
    def _no_blank_strings(cls, values: list[str]) -> list[str]:
        if any(not value.strip() for value in values):
            raise ValueError("blank strings are not allowed")
        return values

    @field_validator("history")
    @classmethod
    def _conversation_turns_only(cls, turns: list[ChatMessage]) -> list[ChatMessage]:
        # A system turn in gold data would override the product's own instructions.
        if any(turn.role == "system" for turn in turns):
            raise ValueError("history holds only user and assistant turns")
        return turns

    @model_validator(mode="after")
    def _refusals_name_no_facts(self) -> GoldItem:
        if not self.answerable and self.must_contain:
            raise ValueError("an unanswerable item has no must_contain")
        return self


def source_matches(cited: str, gold: str) -> bool:
    """True when two source paths name the same document: equal, or one is the
    other with a leading folder (``bbc/business/001.txt`` vs ``business/001.txt``)."""
    return cited == gold or cited.endswith("/" + gold) or gold.endswith("/" + cited)


def load_gold(path: Path | str) -> list[GoldItem]:
    """Every item of a JSONL gold file; blank lines are skipped.

    Raises InputError naming the file and line for unreadable files, malformed lines,
    invalid items and duplicate ids.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read gold data: {exc}") from exc
    items: list[GoldItem] = []
    first_line: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        item = _parse_line(line, f"{path}:{number}")
        if item.id in first_line:
            raise InputError(
                f"{path}:{number}: duplicate id {item.id!r} (first on line {first_line[item.id]})"
            )
        first_line[item.id] = number
        items.append(item)
    if not items:
        raise InputError(f"{path}: no gold items")
    return items


def _parse_line(line: str, where: str) -> GoldItem:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(data).__name__}")
    try:
        return GoldItem.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'item'}: {error['msg']}"
            for error in exc.errors()
        )
        raise InputError(f"{where}: invalid gold item: {problems}") from exc
