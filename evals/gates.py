"""Quality gates: the minimum each headline metric must reach, recorded once.

``rag eval`` applies DEFAULT_GATES unless ``--fail-under`` names others, and the CI test
asserts the same numbers, so the gate a developer sees locally is the one CI enforces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rag.errors import InputError, RagError

# Summary keys where a higher value is better; only these can have a floor.
GATEABLE = (
    "answer_accuracy",
    "refusal_accuracy",
    "citation_precision",
    "citation_recall",
    "verbatim_quote_rate",
    "hit_at_5",
    "mrr",
)


@dataclass(frozen=True)
class Gate:
    """``metric`` must be at least ``minimum`` (both on the 0-1 scale of the summary)."""

    metric: str
    minimum: float

    def __str__(self) -> str:
        return f"{self.metric}={self.minimum:g}"


DEFAULT_GATES = (
    Gate("answer_accuracy", 0.85),
    Gate("refusal_accuracy", 1.0),
    Gate("citation_precision", 0.95),
    Gate("verbatim_quote_rate", 1.0),
)


class GateFailedError(RagError):
    """An eval run finished but missed one or more quality gates."""

    exit_code = 9


def parse_gate(text: str) -> Gate:
    """``METRIC=VALUE`` as given to ``--fail-under``; InputError naming what is wrong."""
    metric, sep, value = text.partition("=")
    metric = metric.strip()
    if not sep or metric not in GATEABLE:
        raise InputError(
            f"--fail-under {text!r}: expected METRIC=VALUE with METRIC one of {', '.join(GATEABLE)}"
        )
    try:
        minimum = float(value)
    except ValueError as exc:
        raise InputError(f"--fail-under {text!r}: {value!r} is not a number") from exc
    return Gate(metric, minimum)


def gate_failures(
    summary: Mapping[str, float | int | None], gates: Sequence[Gate], require_measured: bool
) -> list[str]:
    """One message per gate the summary misses. A metric that was not measured (None)
    fails when ``require_measured`` (a gate the user asked for cannot pass unverified);
    otherwise it is left out, so default gates do not fail an API run that cannot see texts."""
    failures: list[str] = []
    for gate in gates:
        value = summary.get(gate.metric)
        if value is None:
            if require_measured:
                failures.append(f"{gate.metric} was not measured (gate {gate.minimum:g})")
        elif value < gate.minimum:
            failures.append(f"{gate.metric} {value:.3f} < {gate.minimum:g}")
    return failures


# The LLM generator reads everything the extractive one would cite and falls back to it
# when the LLM fails, so it must never answer fewer questions right.
NOT_BELOW = (("local", "extractive"),)


def ordering_failures(accuracies: Mapping[str, float | None]) -> list[str]:
    """One message per pair of NOT_BELOW that ran side by side and came out in the wrong
    order on answer accuracy."""
    failures: list[str] = []
    for better, baseline in NOT_BELOW:
        high, low = accuracies.get(better), accuracies.get(baseline)
        if high is not None and low is not None and high < low:
            failures.append(f"{better} answer_accuracy {high:.3f} < {baseline}'s {low:.3f}")
    return failures
