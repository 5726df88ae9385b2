"""The soak: concurrent clients asking and uploading against a running `rag serve`.

Each client loops for the planned time through one cycle: ask a gold question, upload a
unique article, ask about the article (the answer must cite it), then either delete it
and ask again (the answer must not cite it) or keep it. Meanwhile the server's resident
memory is sampled once a second. At the end the document list must hold every article
kept and none deleted. Only loopback URLs are accepted: this is a load generator.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from evals.bench_timing import percentiles, process_peak_rss_mb, process_rss_mb
from evals.soak_facts import SoakFact, make_fact

NO_RESPONSE = 0
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class SoakPlan:
    """How hard and how long; ``delete_every`` 2 deletes every other uploaded article."""

    clients: int
    seconds: float
    delete_every: int = 2
    rss_interval_s: float = 1.0
    timeout_s: float = 120.0


@dataclass(frozen=True)
class Call:
    kind: str
    status: int  # NO_RESPONSE when the request got no HTTP answer at all
    ms: float


@dataclass
class SoakLog:
    """What the clients saw, appended to from every client thread."""

    calls: list[Call] = field(default_factory=list)
    kept: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    uncited: list[str] = field(default_factory=list)
    cited_deleted: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)


@dataclass(frozen=True)
class MemoryTrend:
    """Server RSS over the run; growth compares the medians of its first and last thirds."""

    samples: list[tuple[float, float]]
    start_mb: float | None
    end_mb: float | None
    peak_mb: float | None
    first_third_mb: float | None
    last_third_mb: float | None
    growth_mb: float | None
    growth_pct: float | None


@dataclass(frozen=True)
class SoakResult:
    clients: int
    seconds: float
    requests: dict[str, int]
    statuses: dict[str, int]
    server_errors: int
    other_errors: int
    latency_ms: dict[str, dict[str, float]]
    uploaded: int
    deleted: int
    kept: int
    lost_documents: list[str]
    resurrected_documents: list[str]
    uncited_facts: list[str]
    cited_deleted: list[str]
    memory: MemoryTrend


def memory_trend(samples: Sequence[tuple[float, float]], peak_mb: float | None) -> MemoryTrend:
    """Start, end and growth of RSS samples (seconds, MB); medians resist single spikes."""
    values = [mb for _, mb in samples]
    if len(values) < 3:
        return MemoryTrend(list(samples), None, None, peak_mb, None, None, None, None)
    third = len(values) // 3
    first = statistics.median(values[:third])
    last = statistics.median(values[-third:])
    return MemoryTrend(
        samples=list(samples),
        start_mb=values[0],
        end_mb=values[-1],
        peak_mb=peak_mb if peak_mb is not None else max(values),
        first_third_mb=round(first, 1),
        last_third_mb=round(last, 1),
        growth_mb=round(last - first, 1),
        growth_pct=round((last - first) / first * 100, 2),
    )


def summarise(
    log: SoakLog, listed: set[str], memory: MemoryTrend, *, clients: int, seconds: float
) -> SoakResult:
    """The result of a finished soak; ``listed`` is every source the API lists at the end."""
    by_kind: dict[str, list[float]] = {}
    for call in log.calls:
        by_kind.setdefault(call.kind, []).append(call.ms)
    statuses = Counter(
        "no_response" if c.status == NO_RESPONSE else str(c.status) for c in log.calls
    )
    server_errors = sum(1 for c in log.calls if c.status >= 500)
    return SoakResult(
        clients=clients,
        seconds=round(seconds, 1),
        requests={kind: len(ms) for kind, ms in sorted(by_kind.items())},
        statuses=dict(sorted(statuses.items())),
        server_errors=server_errors,
        other_errors=sum(1 for c in log.calls if not 200 <= c.status < 300) - server_errors,
        latency_ms={kind: percentiles(ms) for kind, ms in sorted(by_kind.items())},
        uploaded=len(log.kept) + len(log.deleted),
        deleted=len(log.deleted),
        kept=len(log.kept),
        lost_documents=sorted(log.kept - listed),
        resurrected_documents=sorted(log.deleted & listed),
        uncited_facts=sorted(log.uncited),
        cited_deleted=sorted(log.cited_deleted),
        memory=memory,
    )


def soak_problems(soak: Mapping[str, Any]) -> list[str]:
    """What went wrong in a soak result (its JSON form); memory growth is reported, not judged."""
    counts = {
        "server errors (5xx)": soak["server_errors"],
        "other failed requests": soak["other_errors"],
        "lost documents": len(soak["lost_documents"]),
        "deleted documents still listed": len(soak["resurrected_documents"]),
        "answers not citing the uploaded article": len(soak["uncited_facts"]),
        "answers citing a deleted article": len(soak["cited_deleted"]),
    }
    return [f"{count} {what}" for what, count in counts.items() if count]


@dataclass(frozen=True)
class _Run:
    """What every client of one soak shares."""

    url: str
    plan: SoakPlan
    questions: Sequence[str]
    log: SoakLog
    tag: str  # makes this run's article names unique among earlier runs on the same index
    deadline: float


class _Client:
    """One soak client: its own connection and articles, the run's shared log."""

    def __init__(self, http: httpx.Client, run: _Run, index: int) -> None:
        self.http = http
        self.log = run.log
        self.tag = run.tag
        self.index = index

    def _call(self, kind: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError:
            response = None
        status = response.status_code if response is not None else NO_RESPONSE
        self.log.note(Call(kind, status, (time.perf_counter() - started) * 1000))
        return response

    def ask(self, kind: str, question: str) -> set[str] | None:
        """The sources the answer cites, None when there was no answer."""
        body = {"question": question, "generator": "extractive"}
        response = self._call(kind, "POST", "/v1/ask", json=body)
        if response is None or response.status_code != 200:
            return None
        return {citation["source"] for citation in response.json()["citations"]}

    def upload(self, fact: SoakFact) -> bool:
        files = {"file": (fact.source, fact.text.encode("utf-8"))}
        response = self._call("upload", "POST", "/v1/documents", files=files)
        return response is not None and response.status_code == 201

    def delete(self, fact: SoakFact) -> bool:
        response = self._call("delete", "DELETE", f"/v1/documents/{fact.source}")
        return response is not None and response.status_code == 200

    def cycle(self, number: int, question: str, delete: bool) -> None:
        self.ask("ask", question)
        fact = make_fact(self.tag, self.index, number)
        if not self.upload(fact):
            return  # unknown whether it landed: neither kept nor deleted
        with self.log.lock:
            self.log.kept.add(fact.source)
        cited = self.ask("ask_uploaded", fact.question)
        if cited is not None and fact.source not in cited:
            with self.log.lock:
                self.log.uncited.append(fact.source)
        if not delete or not self.delete(fact):
            return
        with self.log.lock:
            self.log.kept.discard(fact.source)
            self.log.deleted.add(fact.source)
        cited = self.ask("ask_deleted", fact.question)
        if cited is not None and fact.source in cited:
            with self.log.lock:
                self.log.cited_deleted.append(fact.source)


class _RssSampler:
    """Samples a process's RSS every ``interval_s`` in a background thread."""

    def __init__(self, pid: int | None, interval_s: float) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-rss", daemon=True)

    def _run(self) -> None:
        started = time.monotonic()
        while self.pid is not None:
            mb = process_rss_mb(self.pid)
            if mb is not None:
                self.samples.append((round(time.monotonic() - started, 2), mb))
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def require_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in _LOOPBACK:
        raise ValueError(f"the soak only runs against loopback addresses, not {host!r}")


def _client_loop(run: _Run, index: int) -> None:
    with httpx.Client(base_url=run.url, timeout=run.plan.timeout_s) as http:
        client = _Client(http, run, index)
        number = 0
        while time.monotonic() < run.deadline:
            question = run.questions[(index + number) % len(run.questions)]
            client.cycle(number, question, delete=number % run.plan.delete_every == 0)
            number += 1


def _listed_sources(url: str, timeout_s: float) -> set[str]:
    response = httpx.get(f"{url}/v1/documents", timeout=timeout_s)
    response.raise_for_status()
    return {doc["source"] for doc in response.json()}


def run_soak(url: str, pid: int | None, plan: SoakPlan, questions: Sequence[str]) -> SoakResult:
    """Load ``url`` (a warm `rag serve`, process ``pid``) for ``plan.seconds``; then check."""
    require_loopback(url)
    if not questions:
        raise ValueError("the soak needs at least one question")
    started = time.monotonic()
    run = _Run(url, plan, questions, SoakLog(), uuid.uuid4().hex[:8], started + plan.seconds)
    with _RssSampler(pid, plan.rss_interval_s) as rss, ThreadPoolExecutor(plan.clients) as pool:
        futures = [pool.submit(_client_loop, run, i) for i in range(plan.clients)]
        for future in futures:
            future.result()  # a client's own bug must fail the soak, not vanish
    elapsed = time.monotonic() - started
    peak = process_peak_rss_mb(pid) if pid is not None else None
    memory = memory_trend(rss.samples, peak)
    listed = _listed_sources(url, plan.timeout_s)
    return summarise(run.log, listed, memory, clients=plan.clients, seconds=elapsed)
