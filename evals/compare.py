"""A run against a previous one: per-metric deltas and the questions that flipped."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from evals.results import EvalRun

# Summary keys compared; "n" is context, not a metric.
COMPARED = (
    "answer_accuracy",
    "refusal_accuracy",
    "false_refusal_rate",
    "wrong_answer_rate",
    "citation_precision",
    "citation_recall",
    "verbatim_quote_rate",
    "hit_at_5",
    "mrr",
    "latency_ms_p50",
    "latency_ms_p95",
)


class MetricDelta(BaseModel):
    model_config = ConfigDict(frozen=True)

    metric: str
    baseline: float | None
    current: float | None

    @property
    def delta(self) -> float | None:
        if self.baseline is None or self.current is None:
            return None
        return self.current - self.baseline


class Comparison(BaseModel):
    """How ``generator``'s run moved from the baseline run of ``baseline_generator``."""

    model_config = ConfigDict(frozen=True)

    generator: str
    baseline_generator: str
    deltas: dict[str, MetricDelta]
    broke: list[str]
    """Ids answered correctly in the baseline and wrongly now."""
    fixed: list[str]
    """Ids answered wrongly in the baseline and correctly now."""


def compare(current: EvalRun, baseline: EvalRun) -> Comparison:
    """Deltas of every compared metric and the ids whose correctness changed; items in
    only one of the runs are not flips (the gold set changed, not the answer)."""
    before = {item.id: item.correct for item in baseline.items}
    broke = [i.id for i in current.items if before.get(i.id) is True and not i.correct]
    fixed = [i.id for i in current.items if before.get(i.id) is False and i.correct]
    deltas = {
        metric: MetricDelta(
            metric=metric,
            baseline=_number(baseline.summary.get(metric)),
            current=_number(current.summary.get(metric)),
        )
        for metric in COMPARED
    }
    return Comparison(
        generator=current.generator,
        baseline_generator=baseline.generator,
        deltas=deltas,
        broke=broke,
        fixed=fixed,
    )


def pick_baseline(generator: str, baselines: Mapping[str, EvalRun]) -> EvalRun | None:
    """The baseline run of the same generator; a file of exactly one run is the baseline
    of every generator (comparing ``local`` today with ``extractive`` yesterday is legit)."""
    if generator in baselines:
        return baselines[generator]
    if len(baselines) == 1:
        return next(iter(baselines.values()))
    return None


def compare_all(
    runs: Mapping[str, EvalRun], baselines: Mapping[str, EvalRun]
) -> dict[str, Comparison]:
    """A comparison for every run that has a baseline to compare with."""
    found: dict[str, Comparison] = {}
    for name, run in runs.items():
        baseline = pick_baseline(name, baselines)
        if baseline is not None:
            found[name] = compare(run, baseline)
    return found


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)
