"""`rag bench --soak`: the option reaches the plan, the JSON and report carry the soak, and
a failed soak fails the command. The benchmark itself is replaced by a canned result."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import evals.bench
from evals.bench import BenchPlan
from evals.bench_report import soak_section
from evals.bench_soak import SoakLog, memory_trend, soak_problems, summarise
from ui.cli import app

pytestmark = pytest.mark.unit


def _soak(lost: bool = False) -> dict[str, Any]:
    log = SoakLog(kept={"a.txt", "b.txt"} if lost else {"a.txt"}, deleted={"gone.txt"})
    trend = memory_trend([(float(t), 300.0 + t) for t in range(12)], peak_mb=320.0)
    return asdict(summarise(log, {"a.txt"}, trend, clients=3, seconds=12))


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[BenchPlan]:
    seen: list[BenchPlan] = []

    def fake_run(plan: BenchPlan, _: Any) -> dict[str, Any]:
        seen.append(plan)
        return {
            "config": asdict(plan),
            **({"soak": _soak(lost=plan.soak_s > 99)} if plan.soak_s else {}),
        }

    monkeypatch.setattr(evals.bench, "run_bench", fake_run)
    return seen


def test_soak_seconds_and_clients_reach_the_plan(plans: list[BenchPlan], tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    args = ["bench", "--quick", "--soak", "30", "--soak-clients", "5", "--json", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (plans[0].soak_s, plans[0].soak_clients, plans[0].quick) == (30.0, 5, True)
    assert plans[0].stage_count == BenchPlan.of(True, 5, True).stage_count + 1
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["soak"]["lost_documents"] == []


def test_no_soak_unless_asked(plans: list[BenchPlan], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["bench", "--quick", "--json", str(tmp_path / "b.json")])
    assert result.exit_code == 0, result.output
    assert plans[0].soak_s == 0
    assert "soak" not in json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))


def test_a_soak_that_lost_a_document_fails_the_command(
    plans: list[BenchPlan], tmp_path: Path
) -> None:
    out = tmp_path / "b.json"
    result = CliRunner().invoke(app, ["bench", "--quick", "--soak", "100", "--json", str(out)])
    assert result.exit_code == 1
    assert json.loads(out.read_text(encoding="utf-8"))["soak"]["lost_documents"] == ["b.txt"]


def test_problems_name_what_went_wrong() -> None:
    assert soak_problems(_soak()) == []
    assert soak_problems(_soak(lost=True)) == ["1 lost documents"]


def test_the_report_section_draws_memory_and_lists_the_numbers() -> None:
    page = soak_section(_soak(lost=True))
    assert page.count('src="data:image/png;base64,') == 1
    assert "1 lost documents" in page
    assert "memory.growth_mb" in page
    assert "samples" not in page
