"""Bounded fetching of web pages and feeds: a deadline, a size cap, checked redirects.

A URL comes from a user or a feed, and the server at the other end may be slow on
purpose, endless, huge or redirecting in circles; each of those ends in a clear error
(rag.errors.FetchError and its kinds) within the limits of ``FetchLimits``. With a
``NetGuard`` every hop's connection goes only to addresses the guard allows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import version
from types import TracebackType
from urllib.parse import urldefrag, urljoin

import httpcore
import httpx

from rag.errors import FetchError, FetchTimeoutError, FetchTooLargeError, InvalidUrlError
from rag.settings import Settings

from .netguard import GuardedBackend, NetGuard, check_url_syntax

USER_AGENT = f"news-rag-ingest/{version('news-rag')}"
_ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1"
)
_MB = 1024 * 1024


@dataclass(frozen=True)
class FetchLimits:
    timeout_s: float
    deadline_s: float
    max_bytes: int
    max_redirects: int

    @classmethod
    def of(cls, settings: Settings) -> FetchLimits:
        return cls(
            timeout_s=settings.fetch_timeout_s,
            deadline_s=settings.fetch_deadline_s,
            max_bytes=int(settings.fetch_max_mb * _MB),
            max_redirects=settings.fetch_max_redirects,
        )


@dataclass(frozen=True)
class Fetched:
    """One fetched resource: where it ended up after redirects, and its bytes."""

    url: str
    media_type: str  # "text/html", lower case, without parameters
    charset: str | None  # as the Content-Type header declares it
    data: bytes


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with connections made through ``GuardedBackend``."""

    def __init__(self, guard: NetGuard) -> None:
        super().__init__(trust_env=False)
        # httpx has no parameter for httpcore's network backend: its pool is replaced by
        # one with httpx's defaults that connects through the guard.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=10,
            max_keepalive_connections=10,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(guard),
        )


class Fetcher:
    """One HTTP client for a run: a feed's entries on one site share its connections.

    Without a guard (the CLI) any address is fetched and proxy variables are honoured;
    with one (the API) proxies are not used, since a proxy would connect where the guard
    cannot see."""

    def __init__(self, limits: FetchLimits, guard: NetGuard | None = None) -> None:
        self.limits = limits
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
            follow_redirects=False,  # followed here, each hop checked and counted
            transport=_GuardedTransport(guard) if guard is not None else None,
            trust_env=guard is None,
        )

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._client.close()

    def get(self, url: str) -> Fetched:
        """The resource at ``url`` after at most ``max_redirects`` redirects."""
        started = time.monotonic()
        current = urldefrag(url.strip()).url
        for _hop in range(self.limits.max_redirects + 1):
            check_url_syntax(current)
            try:
                with self._client.stream("GET", current, timeout=self._timeout(url, started)) as r:
                    if not r.is_redirect:
                        return self._body(url, r, started)
                    current = urldefrag(urljoin(str(r.url), r.headers["location"])).url
            except httpx.TimeoutException as exc:
                raise self._late(url) from exc
            except httpx.InvalidURL as exc:
                raise InvalidUrlError(f"'{current}' is not a valid URL ({exc})") from exc
            except httpx.HTTPError as exc:
                raise FetchError(url, f"cannot be fetched ({type(exc).__name__}: {exc})") from exc
        raise FetchError(url, f"more than {self.limits.max_redirects} redirects")

    def _timeout(self, url: str, started: float) -> httpx.Timeout:
        # No single wait may outlast the deadline; the body's chunks are timed in _body.
        remaining = self.limits.deadline_s - (time.monotonic() - started)
        if remaining <= 0:
            raise self._late(url)
        return httpx.Timeout(min(self.limits.timeout_s, remaining))

    def _late(self, url: str) -> FetchTimeoutError:
        return FetchTimeoutError(url, f"did not arrive within {self.limits.deadline_s:g}s")

    def _body(self, url: str, response: httpx.Response, started: float) -> Fetched:
        if response.status_code >= 400:
            raise FetchError(url, f"the server answered {response.status_code}")
        too_large = FetchTooLargeError(
            url, f"larger than the {self.limits.max_bytes / _MB:g} MB fetch limit"
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise too_large  # refused unread; a smaller Content-Length is not trusted
        body = bytearray()
        for chunk in response.iter_bytes():  # decompressed: the cap holds for what arrives
            body += chunk
            if len(body) > self.limits.max_bytes:
                raise too_large
            if time.monotonic() - started > self.limits.deadline_s:
                raise self._late(url)
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(str(response.url), media_type, response.charset_encoding, bytes(body))
