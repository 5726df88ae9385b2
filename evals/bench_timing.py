"""Latency summaries and peak-memory readings shared by the benchmark stages."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np


def percentiles(samples_ms: Sequence[float], prefix: str = "") -> dict[str, float]:
    """p50/p95/p99 in ms, rounded; keys are ``{prefix}p50`` and so on."""
    if not samples_ms:
        return {f"{prefix}p{q}": float("nan") for q in (50, 95, 99)}
    values = np.percentile(np.asarray(samples_ms, dtype=np.float64), [50, 95, 99])
    return {f"{prefix}p{q}": round(float(v), 3) for q, v in zip((50, 95, 99), values, strict=True)}


def time_each(call: Callable[[str], object], inputs: Sequence[str], warmup: int) -> list[float]:
    """Milliseconds of ``call`` per input, after ``warmup`` untimed calls."""
    for item in inputs[:warmup]:
        call(item)
    timings: list[float] = []
    for item in inputs:
        started = time.perf_counter()
        call(item)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def own_peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _proc_status_mb(pid: int, field: str) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def process_peak_rss_mb(pid: int) -> float | None:
    """Another process's peak resident set (VmHWM), None when /proc cannot tell."""
    return _proc_status_mb(pid, "VmHWM")


def process_rss_mb(pid: int) -> float | None:
    """Another process's resident set right now (VmRSS), None when /proc cannot tell."""
    return _proc_status_mb(pid, "VmRSS")
