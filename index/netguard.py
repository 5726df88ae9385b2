"""Which URLs a server may fetch for a caller: the guard against server-side request forgery.

A URL handed to the API must not make the server reach what only the server can reach:
its own loopback services, the private network, a cloud's metadata endpoint. The guard
checks the addresses a host resolves to (every one of them, so "localhost", "2130706433"
and a DNS name pointing at 10.0.0.1 are all caught by what they are, not how they are
written). index.fetch then connects to a checked address itself, not to the name: a DNS
answer that changes in between (rebinding) cannot slip a private address past the check.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from rag.errors import FetchError, InvalidUrlError, UrlRefusedError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud metadata endpoints (AWS, GCP, Azure, OpenStack; AWS's IPv6 one). The IPv4 one is
# link-local anyway; named so that the refusal says what it protects.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_SHARED_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
SCHEMES = ("http", "https")


def parse_networks(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR strings as networks; the settings validator has already refused bad ones."""
    return tuple(ipaddress.ip_network(n, strict=False) for n in networks)


def check_url_syntax(url: str) -> tuple[str, int]:
    """The URL's host and port, or InvalidUrlError when it is no plain http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # ValueError for a port out of range or not a number
    except ValueError as exc:
        raise InvalidUrlError(f"'{url}' is not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise InvalidUrlError(f"'{url}': only http:// and https:// URLs can be fetched")
    if "@" in parts.netloc:
        raise InvalidUrlError(f"'{url}': a URL with credentials (user@host) is not fetched")
    if not parts.hostname:
        raise InvalidUrlError(f"'{url}' names no host")
    return parts.hostname, port or (443 if scheme == "https" else 80)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4), if any:
    ::ffff:127.0.0.1 reaches 127.0.0.1 and must be judged as it."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d, IPv4-compatible (deprecated)
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _kind(ip: IPAddress) -> str | None:
    """What makes ``ip`` off limits, or None for a public unicast address."""
    checks = (
        (ip in METADATA_ADDRESSES, "a cloud metadata address"),
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.version == 4 and ip in _SHARED_SPACE, "a carrier-grade NAT address"),
        (ip.is_reserved, "a reserved address"),
        # Python's is_private also holds documentation and benchmarking ranges.
        (ip.is_private, "a private or special-purpose address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for hit, reason in checks if hit), None)


def address_problem(ip: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why ``ip`` may not be fetched from, or None; ``allowed`` networks always may."""
    candidates: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
        candidates.insert(0, inner)  # judged by what it reaches first
    if any(c in net for c in candidates for net in allowed if c.version == net.version):
        return None
    for candidate in candidates:
        if (reason := _kind(candidate)) is not None:
            return f"{candidate} is {reason}"
    return None


class NetGuard:
    """The addresses a fetch may connect to: public ones, and those in ``allowed``."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        self.allowed = parse_networks(allowed)

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, or UrlRefusedError if any is off limits
        (a name with one public and one private address could be either on connect)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:  # no such name: not the caller's fault
            raise FetchError(host, f"cannot be resolved ({exc})") from exc
        addresses = list(dict.fromkeys(_address(str(info[4][0])) for info in infos))
        for ip in addresses:
            if (problem := address_problem(ip, self.allowed)) is not None:
                raise UrlRefusedError(
                    f"'{host}' is refused: {problem} (RAG_URL_ALLOW_NETWORKS may allow a network)"
                )
        return addresses

    def check_url(self, url: str) -> list[IPAddress]:
        """Syntax and addresses of ``url``; what a redirect target must pass too."""
        return self.resolve(*check_url_syntax(url))


def _address(raw: str) -> IPAddress:
    return ipaddress.ip_address(raw.partition("%")[0])  # fe80::1%eth0: the zone is no address
