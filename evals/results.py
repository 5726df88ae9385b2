"""The eval's result file: one run per generator, written as JSON and read back as a baseline.

File format (what ``rag eval --json OUT`` writes and ``--baseline`` reads):

- one generator: ``{"summary": {...}, "by_tag": {...}, "items": [...], "config": {...}}``
- several: ``{"runs": {"<generator>": <that same object>, ...}}``

Both shapes load into ``{generator: EvalRun}``, so a single-run file from yesterday can be
the baseline of today's side-by-side run and the other way round.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evals.metrics import ItemResult
from rag.errors import InputError
from rag.types import ChatMessage, Citation, Conflict

# Summary values: rates in 0-1, "n" a count, latencies in ms; None means "not measured".
SummaryValues = dict[str, float | int | None]


class ItemRecord(ItemResult):
    """An item's judged result plus what a reader needs to see why it passed or failed."""

    question: str
    history: list[ChatMessage] = Field(default_factory=list)
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    notice: str | None = None
    gold_answer: str
    evidence: list[str] = Field(default_factory=list)
    gold_sources: list[str] = Field(default_factory=list)


class EvalRun(BaseModel):
    """Everything one generator's pass over the gold set produced."""

    model_config = ConfigDict(frozen=True)

    summary: SummaryValues
    by_tag: dict[str, SummaryValues]
    items: list[ItemRecord]
    config: dict[str, Any] = Field(description="Generator, gold files, top_k, collection, ...")

    @property
    def generator(self) -> str:
        return str(self.config.get("generator", "unknown"))


def dump_runs(runs: Mapping[str, EvalRun]) -> str:
    """The JSON text of a result file: a single run bare, several under ``runs``."""
    if len(runs) == 1:
        (run,) = runs.values()
        return run.model_dump_json(indent=2)
    payload = {"runs": {name: run.model_dump(mode="json") for name, run in runs.items()}}
    return json.dumps(payload, indent=2, ensure_ascii=False)


def write_runs(path: Path, runs: Mapping[str, EvalRun]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_runs(runs) + "\n", encoding="utf-8")


def load_runs(path: Path) -> dict[str, EvalRun]:
    """``{generator: EvalRun}`` from a result file of either shape; InputError if unusable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read eval results: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object of eval results")
    raw = data.get("runs", {"": data})
    if not isinstance(raw, dict) or not raw:
        raise InputError(f"{path}: 'runs' must be a non-empty object")
    runs: dict[str, EvalRun] = {}
    for name, value in raw.items():
        try:
            run = EvalRun.model_validate(value)
        except ValidationError as exc:
            raise InputError(f"{path}: not an eval result ({exc.error_count()} errors)") from exc
        runs[name or run.generator] = run
    return runs
