"""The SSRF guard on its own: which URLs and addresses a server may fetch for a caller.

Every host here is an address literal or resolves from /etc/hosts ("localhost"): nothing
is looked up in DNS and nothing is connected to."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from index.netguard import NetGuard, address_problem, check_url_syntax
from rag.errors import FetchError, InvalidUrlError, UrlRefusedError
from rag.settings import Settings

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://127.8.9.10:8080/admin", "loopback"),
        ("http://localhost:8000/v1/docs", "loopback"),
        ("http://2130706433/", "loopback"),  # 127.0.0.1 as one decimal number
        ("http://0x7f000001/", "loopback"),  # ... in hex
        ("http://017700000001/", "loopback"),  # ... in octal
        ("http://127.1/", "loopback"),  # ... shortened
        ("http://[::1]:8000/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
        ("http://[::127.0.0.1]/", "loopback"),  # IPv4-compatible IPv6
        ("http://[2002:7f00:1::]/", "loopback"),  # 6to4 around 127.0.0.1
        ("http://10.1.2.3/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://172.31.255.254/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[fd12:3456::1]/", "private"),
        ("http://169.254.10.20/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://224.0.0.251/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://192.0.2.10/", "special-purpose"),  # documentation range (TEST-NET-1)
    ],
)
def test_addresses_only_the_server_can_reach_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UrlRefusedError, match=reason) as info:
        NetGuard().check_url(url)
    assert info.value.http_status == 403


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://127.0.0.1/pub/story.txt", "only http:// and https://"),
        ("gopher://127.0.0.1:70/_GET", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("news.example/story", "only http:// and https://"),
        ("http://user@127.0.0.1/", "credentials"),
        ("https://user:secret@news.example/story", "credentials"),
        ("http://news.example@169.254.169.254/", "credentials"),
        ("http:///path-only", "names no host"),
        ("http://news.example:99999/", "not a valid URL"),
    ],
)
def test_urls_that_name_no_plain_web_page_are_invalid(url: str, reason: str) -> None:
    with pytest.raises(InvalidUrlError, match=reason) as info:
        check_url_syntax(url)
    assert info.value.http_status == 400
    with pytest.raises(InvalidUrlError):  # the guard checks the same before resolving
        NetGuard(["0.0.0.0/0", "::/0"]).check_url(url)


def test_allowed_networks_open_exactly_themselves() -> None:
    guard = NetGuard(["127.0.0.0/8"])
    assert guard.check_url("http://127.0.0.1:8000/") == [ipaddress.ip_address("127.0.0.1")]
    assert guard.check_url("http://2130706433/")  # however the address is written
    assert guard.check_url("http://[::ffff:127.0.0.1]/")  # the IPv4 it reaches is allowed
    for still_refused in ("http://[::1]/", "http://10.0.0.1/", "http://169.254.169.254/"):
        with pytest.raises(UrlRefusedError):
            guard.check_url(still_refused)
    assert NetGuard(["10.20.0.0/16"]).check_url("http://10.20.30.40/")
    with pytest.raises(UrlRefusedError, match="private"):
        NetGuard(["10.20.0.0/16"]).check_url("http://10.21.0.1/")


def test_a_host_that_cannot_be_resolved_is_a_fetch_failure() -> None:
    host = "a" * 64 + ".example"  # a label longer than DNS allows: refused before any lookup
    with pytest.raises(FetchError, match="cannot be resolved") as info:
        NetGuard().check_url(f"http://{host}/story")
    assert info.value.http_status == 502 and info.value.path == host


@pytest.mark.parametrize("address", ["93.184.215.14", "151.101.0.81", "2a04:4e42::81"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def test_allowed_networks_are_a_json_list_setting_and_bad_ones_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings().url_allow_networks == []
    monkeypatch.setenv("RAG_URL_ALLOW_NETWORKS", '["127.0.0.0/8", "fd00::/8"]')
    assert Settings().url_allow_networks == ["127.0.0.0/8", "fd00::/8"]
    monkeypatch.setenv("RAG_URL_ALLOW_NETWORKS", '["10.0.0.0/33"]')
    with pytest.raises(ValidationError, match=r"10\.0\.0\.0/33"):
        Settings()
