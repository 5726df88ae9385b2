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
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

import httpx

from rag.errors import FetchError, FetchTimeoutError, FetchTooLargeError, InvalidUrlError
from rag.settings import Settings

from .netguard import IPAddress, NetGuard, check_url_syntax

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


class Fetcher:
    """One HTTP client for a run (unguarded, a feed's entries share its connections).

    Without a guard (the CLI) any address is fetched and proxy variables are honoured.
    With one (the API) each hop connects to an address the guard checked, by IP, with
    the name in the Host header and in TLS (SNI and certificate check): pinned to what
    was checked. No proxy then, since it would connect where the guard cannot see."""

    def __init__(self, limits: FetchLimits, guard: NetGuard | None = None) -> None:
        self.limits = limits
        self.guard = guard
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
            follow_redirects=False,  # followed here, each hop checked and counted
            trust_env=guard is None,
            # Pinned connections are pooled by IP: one made (and its certificate checked)
            # for one host name must not carry a request for another name on that IP.
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=0 if guard else 20),
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
            try:
                response = self._open(current, self._timeout(url, started))
                try:
                    if not response.is_redirect:
                        return self._body(url, current, response, started)
                    location = urljoin(current, response.headers["location"])
                finally:
                    response.close()
            except httpx.TimeoutException as exc:
                raise self._late(url) from exc
            except httpx.InvalidURL as exc:
                raise InvalidUrlError(f"'{current}' is not a valid URL ({exc})") from exc
            except httpx.HTTPError as exc:
                raise FetchError(url, f"cannot be fetched ({type(exc).__name__}: {exc})") from exc
            current = urldefrag(location).url
        raise FetchError(url, f"more than {self.limits.max_redirects} redirects")

    def _open(self, url: str, timeout: httpx.Timeout) -> httpx.Response:
        host, port = check_url_syntax(url)
        if self.guard is None:
            request = self._client.build_request("GET", url, timeout=timeout)
            return self._client.send(request, stream=True)
        addresses = self.guard.resolve(host, port)
        for ip in addresses[:-1]:
            try:
                return self._client.send(self._pinned(url, host, ip, timeout), stream=True)
            except httpx.ConnectError:  # the host's next address may answer
                continue
        return self._client.send(self._pinned(url, host, addresses[-1], timeout), stream=True)

    def _pinned(self, url: str, host: str, ip: IPAddress, timeout: httpx.Timeout) -> httpx.Request:
        return self._client.build_request(
            "GET",
            _at_address(url, ip),
            headers={"Host": httpx.URL(url).netloc.decode("ascii")},
            timeout=timeout,
            extensions={"sni_hostname": host},
        )

    def _timeout(self, url: str, started: float) -> httpx.Timeout:
        # No single wait may outlast the deadline; the body's chunks are timed in _body.
        # Left open: a server dripping its *headers* a byte at a time is bounded per read
        # only, as httpx has no total timeout; the body, where a page can be endless, is.
        remaining = self.limits.deadline_s - (time.monotonic() - started)
        if remaining <= 0:
            raise self._late(url)
        return httpx.Timeout(min(self.limits.timeout_s, remaining))

    def _late(self, url: str) -> FetchTimeoutError:
        return FetchTimeoutError(url, f"did not arrive within {self.limits.deadline_s:g}s")

    def _too_large(self, url: str) -> FetchTooLargeError:
        mb = self.limits.max_bytes / _MB
        return FetchTooLargeError(url, f"larger than the {mb:g} MB fetch limit")

    def _body(self, url: str, at: str, response: httpx.Response, started: float) -> Fetched:
        """The body of the final hop ``at``, within the deadline and the size cap."""
        if response.status_code >= 400:
            raise FetchError(url, f"the server answered {response.status_code}")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limits.max_bytes:
            raise self._too_large(url)  # refused unread; a smaller length is not trusted
        body = bytearray()
        for chunk in response.iter_bytes():  # decompressed: the cap holds for what arrives
            body += chunk
            if len(body) > self.limits.max_bytes:
                raise self._too_large(url)
            if time.monotonic() - started > self.limits.deadline_s:
                raise self._late(url)
        media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        return Fetched(at, media_type, response.charset_encoding, bytes(body))


def _at_address(url: str, ip: IPAddress) -> str:
    """``url`` with its host replaced by ``ip`` (bracketed if IPv6), its port kept."""
    parts = urlsplit(url)
    host = f"[{ip}]" if ip.version == 6 else str(ip)
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}" if parts.port else host))
